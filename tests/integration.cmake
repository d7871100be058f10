# Integration tests: the real programs over real loopback sockets.
add_library(lottery_test_support STATIC support/program_runner.cpp support/program_runner.h)
target_link_libraries(lottery_test_support PUBLIC Qt6::Core Qt6::Test)
target_include_directories(lottery_test_support PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(lottery_test_support PUBLIC LOTTERY_BIN_DIR="${CMAKE_BINARY_DIR}/bin")

lottery_add_test(tst_end_to_end LIBS lottery_test_support lottery::protocol lottery::stored_bet_row
    lottery::agency_csv_row LABELS integration concurrency TIMEOUT 600)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_end_to_end lottery-server agency-cli)
endif()

# Failover along a list of servers: a server down, one shutting down, one killed mid-upload.
lottery_add_test(tst_failover LIBS lottery_test_support Qt6::Network LABELS integration TIMEOUT 400)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_failover lottery-server agency-cli)
endif()

# Protocol version 2: receipts, the resume that compares content, version 1 kept as it was.
lottery_add_test(tst_receipts LIBS lottery_test_support lottery::agency Qt6::Network
    LABELS integration TIMEOUT 300)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_receipts lottery-server agency-cli)
endif()

# Issue 20: rows corrected in place are sent once on the next run (resume by content: LIST_STORED),
# also after kill -9 mid-resend; a file that lost stored rows stops before sending; listing bounds.
lottery_add_test(tst_fixed_rows LIBS lottery_test_support lottery::common lottery::protocol
    Qt6::Network LABELS integration TIMEOUT 400)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_fixed_rows lottery-server agency-cli)
endif()

# docs/AUDIT.md's script, run as the document gives it, against a store the real server wrote.
lottery_add_test(tst_audit_doc LIBS lottery_test_support lottery::common Qt6::Network
    LABELS integration TIMEOUT 120)
if(TARGET lottery-server)
    add_dependencies(tst_audit_doc lottery-server)
endif()

# The close of sales: operator, schedule, last DONE; the seal, kill -9, a tampered seal.
lottery_add_test(tst_sales_close LIBS lottery_test_support lottery::agency Qt6::Network ZLIB::ZLIB
    LABELS integration TIMEOUT 300)
if(TARGET lottery-server)
    add_dependencies(tst_sales_close lottery-server)
endif()

# The operator's switch of an agency: refused HELLOs (both versions), the connected session, the
# bets sealed and drawn, a restart, the endpoint's rules; agency-cli in Spanish; lottery-audit.
lottery_add_test(tst_agency_switch LIBS lottery_test_support lottery::server Qt6::Network
    LABELS integration TIMEOUT 300)
if(TARGET lottery-server AND TARGET lottery-audit AND TARGET agency-cli)
    add_dependencies(tst_agency_switch lottery-server lottery-audit agency-cli)
endif()

# lottery-audit over stores the real server wrote, intact and tampered with.
lottery_add_test(tst_audit LIBS lottery_test_support lottery::common Qt6::Network ZLIB::ZLIB
    LABELS integration TIMEOUT 300)
if(TARGET lottery-server AND TARGET lottery-audit AND TARGET agency-cli)
    add_dependencies(tst_audit lottery-server lottery-audit agency-cli lottery-datagen)
endif()
