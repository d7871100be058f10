# agency-gui: the window against a real in-process LotteryServer (widgets, offscreen), the
# program's scripted mode, and its parts (command line, settings, speed, winner lookup, export).
if(TARGET lottery_agency_gui)
    lottery_add_test(tst_agency_gui
        LIBS lottery::agency_gui lottery::server lottery_test_support
        LABELS gui integration TIMEOUT 300)
    add_dependencies(tst_agency_gui agency-gui)
    lottery_add_test(tst_agency_gui_parts
        LIBS lottery::agency_gui lottery_test_support LABELS gui unit)
    # The dialog before a suspicious file is sent (docs/PROTOCOL.md 10.9), against a real server.
    lottery_add_test(tst_agency_gui_file_check
        LIBS lottery::agency_gui lottery::server LABELS gui integration TIMEOUT 180)
endif()
if(TARGET agency-gui)
    # --help and a bad command line without a display (no DISPLAY, no QT_QPA_PLATFORM).
    lottery_add_test(tst_agency_gui_no_display LABELS gui integration TIMEOUT 120)
    add_dependencies(tst_agency_gui_no_display agency-gui)
    # Each language: every widget's text translated, the .ts files complete.
    lottery_add_test(tst_agency_gui_i18n LIBS lottery::agency_gui LABELS gui unit
        DEFINITIONS LOTTERY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    # A clerk's day in Spanish against a real lottery-server: no English shown anywhere.
    lottery_add_test(tst_agency_gui_spanish
        LIBS lottery::agency_gui lottery_test_support LABELS gui integration TIMEOUT 300
        DEFINITIONS LOTTERY_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    add_dependencies(tst_agency_gui_spanish agency-cli lottery-server)
    # A real X11 window under Xvfb (fails without xvfb-run) besides the offscreen tests.
    add_test(NAME gui_xvfb COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/gui-xvfb.sh ${CMAKE_BINARY_DIR}/bin)
    set_tests_properties(gui_xvfb PROPERTIES LABELS "gui;integration" TIMEOUT 300)
endif()
