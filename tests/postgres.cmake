# The PostgreSQL store against real PostgreSQL 15 clusters the tests start themselves
# (tests/support/postgres_cluster.*: initdb in a temporary folder, as the postgres user when
# running as root). Label `postgres`; the fault tests that take minutes also carry `long`.
find_package(ZLIB REQUIRED)
add_library(lottery_postgres_test_support STATIC
    support/postgres_cluster.cpp support/postgres_cluster.h)
target_link_libraries(lottery_postgres_test_support PUBLIC Qt6::Core Qt6::Network)
target_include_directories(lottery_postgres_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

lottery_add_test(tst_postgres_store
    LIBS lottery::postgres_store lottery::stored_bet_row lottery_postgres_test_support ZLIB::ZLIB
    LABELS postgres TIMEOUT 300)

# The database machine lost (kill -9 of a primary with a synchronous standby, promote), the
# standby down, the database gone for 30 s: minutes, so also labelled `long`.
lottery_add_test(tst_postgres_failover
    LIBS lottery::postgres_store lottery::stored_bet_row lottery_postgres_test_support ZLIB::ZLIB
    LABELS postgres long TIMEOUT 300)

# Two real lottery-server instances on one database and agency-cli processes: kill -9 of one
# instance mid-upload at seeded points, restart -m immediate mid-upload, start-up errors exit 2.
lottery_add_test(tst_postgres_servers
    LIBS lottery_test_support lottery_postgres_test_support lottery::protocol
    LABELS postgres long TIMEOUT 600)
if(TARGET lottery-server AND TARGET agency-cli AND TARGET lottery-audit)
    add_dependencies(tst_postgres_servers lottery-server agency-cli lottery-audit)
endif()

# The operator's switch of an agency on a shared database: recorded by one instance, refused at
# the agency's next HELLO on the other, kept across a restart, refused (409) once the draw is in.
lottery_add_test(tst_postgres_agency_switch
    LIBS lottery_test_support lottery_postgres_test_support lottery::protocol
    LABELS postgres TIMEOUT 300)
if(TARGET lottery-server)
    add_dependencies(tst_postgres_agency_switch lottery-server)
endif()
# The resume by content (LIST_STORED) on PostgreSQL, the real programs (issue 20).
lottery_add_test(tst_postgres_fixed_rows
    LIBS lottery_test_support lottery_postgres_test_support
    LABELS postgres integration TIMEOUT 300)
if(TARGET lottery-server)
    add_dependencies(tst_postgres_fixed_rows lottery-server agency-cli)
endif()
