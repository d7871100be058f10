# Issue 21: every resource a peer can make the server spend is bounded. Each attack against the
# real lottery-server, with honest agency-cli processes beside it (tst_peer_limits), and all of
# them at once for a minute while honest agencies upload (tst_hostile_soak).
lottery_add_test(tst_peer_limits LIBS lottery::server lottery_test_support Qt6::Network
    LABELS server security integration TIMEOUT 600)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_peer_limits lottery-server agency-cli)
endif()
lottery_add_test(tst_hostile_soak LIBS lottery::server lottery_test_support Qt6::Network
    LABELS server security integration soak TIMEOUT 300)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_hostile_soak lottery-server agency-cli)
endif()
