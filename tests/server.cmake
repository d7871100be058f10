# The central server: storage and journal recovery, configuration, sessions over real sockets,
# and the lottery-server executable itself.
lottery_add_test(tst_storage LIBS lottery::server LABELS server concurrency)
lottery_add_test(tst_server_config LIBS lottery::server LABELS server
    DEFINITIONS LOTTERY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_dependencies(tst_server_config lottery-server) # an unknown key ends the real program
lottery_add_test(tst_server_session LIBS lottery::server LABELS server concurrency TIMEOUT 300)
# The same suite on Qt's own event dispatcher (the first run uses the server's epoll one).
add_test(NAME tst_server_session_qt_dispatcher COMMAND tst_server_session)
set_tests_properties(tst_server_session_qt_dispatcher PROPERTIES TIMEOUT 300
    LABELS "server;concurrency" ENVIRONMENT "QT_QPA_PLATFORM=offscreen;SERVER_EVENT_DISPATCHER=qt")
lottery_add_test(tst_server_process LIBS lottery::server LABELS server TIMEOUT 120)
add_dependencies(tst_server_process lottery-server)
# lottery-server's sd_notify (READY/WATCHDOG/STOPPING) through a NOTIFY_SOCKET of the test's own.
lottery_add_test(tst_server_systemd LIBS lottery_test_support Qt6::Network LABELS server integration TIMEOUT 120)
add_dependencies(tst_server_systemd lottery-server)
if(SYSTEMD_FOUND AND LOTTERY_SYSTEMD)
    target_compile_definitions(tst_server_systemd PRIVATE LOTTERY_HAVE_SYSTEMD)
endif()
if(LOTTERY_SYSTEMD) # wanted and not found: the test fails rather than skips
    target_compile_definitions(tst_server_systemd PRIVATE LOTTERY_SYSTEMD_WANTED)
endif()
# The reconnect race: a quick reconnect (dropped or superseded session) resumes exactly once.
lottery_add_test(tst_reconnect LIBS lottery::server lottery::stored_bet_row
    LABELS server concurrency TIMEOUT 300)
# The batch rules both stores apply (server/storage/batch_rules.h), case by case.
lottery_add_test(tst_batch_rules LIBS lottery::server LABELS server)
# The BetStore contract, run against every store in its factory list.
find_package(ZLIB REQUIRED)
# Both stores: the file store, and the PostgreSQL one on a cluster it starts itself (postgres.cmake's
# harness library; CMake resolves the target at generation time).
lottery_add_test(tst_store_contract LIBS lottery::server lottery::stored_bet_row
    lottery_postgres_test_support ZLIB::ZLIB
    LABELS server concurrency postgres)
# Upload admission (server/net/upload_admission.h): sessions and bytes, order, grants, leaving.
lottery_add_test(tst_upload_admission LIBS lottery::server LABELS server unit)
# LIST_STORED reads: at most two at once, the rest in arrival order (server/pipeline/stored_list_queue.h).
lottery_add_test(tst_stored_list_queue LIBS lottery::server LABELS server unit)
# Each agency's store requests one at a time, in order (server/pipeline/agency_request_queue.h).
lottery_add_test(tst_agency_request_queue LIBS lottery::server LABELS server unit)
# The orderly stop's phases and deadlines (server/shutdown_sequence.h).
lottery_add_test(tst_shutdown_sequence LIBS lottery::server LABELS server unit)
# Session::send straight into the kernel, and through Qt's buffer once the kernel's is full.
lottery_add_test(tst_session_writes LIBS lottery::server LABELS server unit)
lottery_add_test(tst_session_reads LIBS lottery::server LABELS server unit)
# The manual pages document every option --help shows (packaging/man/).
set(lottery_man_programs lottery-server agency-cli)
if(LOTTERY_BUILD_GUI)
    list(APPEND lottery_man_programs agency-gui)
endif()
add_test(NAME man_page_options
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/man-page-options.sh ${CMAKE_BINARY_DIR}/bin
        ${lottery_man_programs})
set_tests_properties(man_page_options PROPERTIES LABELS "unit")
