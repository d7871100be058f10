# Issue 13: the admin HTTP endpoint. Its parts alone (text format, counting, readiness, tokens):
lottery_add_test(tst_admin_metrics LIBS lottery::admin LABELS admin unit concurrency)
# The endpoint of the real programs (metrics, health, status, dashboard):
lottery_add_test(tst_admin_http LIBS lottery_test_support Qt6::Network LABELS admin integration
    TIMEOUT 600 DEFINITIONS LOTTERY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_admin_http lottery-server agency-cli lottery-credentials)
endif()

# The dashboard in a real browser: Debian's chromium driven by playwright-core (tests/browser,
# `npm ci --prefix tests/browser`, which `make test` runs). Fails without node or chromium.
find_program(LOTTERY_NODE node)
if(LOTTERY_NODE)
    add_test(NAME tst_admin_dashboard_browser
        COMMAND ${LOTTERY_NODE} ${CMAKE_SOURCE_DIR}/tests/browser/dashboard.test.mjs
            --bin ${CMAKE_BINARY_DIR}/bin --data ${CMAKE_SOURCE_DIR}/../shared/data
            --screenshot ${CMAKE_BINARY_DIR}/admin-dashboard.png --shots ${CMAKE_BINARY_DIR})
else()
    add_test(NAME tst_admin_dashboard_browser
        COMMAND sh -c "echo 'FAIL: node is not installed (make test installs it: scripts/install-deps.sh --with-tools)'; exit 1")
endif()
set_tests_properties(tst_admin_dashboard_browser PROPERTIES TIMEOUT 400
    LABELS "admin;integration;browser")
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_admin_http lottery-datagen)
endif()

# The admin port's bounds and its own thread (issue 21): streams refused before any route or
# token check with memory bounded, slow/silent/non-reading peers cut, the security headers on
# every answer, and an agency served while the console is stalled (strace) or flooded.
lottery_add_test(tst_admin_limits LIBS lottery_test_support Qt6::Network
    LABELS admin integration concurrency TIMEOUT 600)
if(TARGET lottery-server AND TARGET agency-cli)
    add_dependencies(tst_admin_limits lottery-server agency-cli)
endif()
