# Reliability: the real programs under injected faults (kill -9, torn tails, SIGTERM under load,
# a full disk, a failing fdatasync through the store's sync function, hostile peers, 1,000
# agencies, EMFILE).
# The concurrent ones carry the concurrency label too, so they also run under ThreadSanitizer.
lottery_add_test(tst_reliability LIBS lottery_test_support lottery::server lottery::stored_bet_row
    lottery::agency_csv_row Qt6::Network
    LABELS reliability integration concurrency TIMEOUT 600)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_reliability lottery-server agency-cli)
endif()
# Recovery through the real lottery-server on damaged files: refusals, --repair, and the
# lottery's recorded identity (--agencies, --set-agencies).
lottery_add_test(tst_recovery LIBS lottery_test_support lottery::protocol Qt6::Network
    LABELS reliability integration TIMEOUT 300)
if(TARGET lottery-server)
    add_dependencies(tst_recovery lottery-server)
endif()
# The close of sales with agency-cli processes mid-upload (schedule, operator) and kill -9 of the
# server at seeded points around it: sealed exactly once, lottery-audit agrees.
lottery_add_test(tst_close_under_load LIBS lottery_test_support lottery::common
    lottery::stored_bet_row lottery::agency_csv_row Qt6::Network
    LABELS reliability integration TIMEOUT 300)
if(TARGET lottery-server AND TARGET agency-cli AND TARGET lottery-audit)
    add_dependencies(tst_close_under_load lottery-server agency-cli lottery-audit)
endif()
