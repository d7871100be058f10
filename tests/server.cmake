# The central server: storage and journal recovery, configuration, sessions over real sockets,
# and the lottery-server executable itself.
lottery_add_test(tst_storage LIBS lottery::server LABELS server concurrency)
lottery_add_test(tst_server_config LIBS lottery::server LABELS server
    DEFINITIONS LOTTERY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
lottery_add_test(tst_server_session LIBS lottery::server LABELS server concurrency TIMEOUT 300)
lottery_add_test(tst_server_process LIBS lottery::server LABELS server TIMEOUT 120)
add_dependencies(tst_server_process lottery-server)
# The reconnect race: a quick reconnect (dropped or superseded session) resumes exactly once.
lottery_add_test(tst_reconnect LIBS lottery::server LABELS server concurrency TIMEOUT 300)
# The BetStore contract, run against every store in its factory list.
find_package(ZLIB REQUIRED)
lottery_add_test(tst_store_contract LIBS lottery::server ZLIB::ZLIB LABELS server concurrency)
