# agency-gui: the window against a real in-process LotteryServer (widgets, offscreen), the
# program's scripted mode, and its parts (command line, settings, speed, winner lookup, export).
if(TARGET lottery_agency_gui)
    lottery_add_test(tst_agency_gui
        LIBS lottery::agency_gui lottery::server lottery_test_support
        LABELS gui integration TIMEOUT 300)
    add_dependencies(tst_agency_gui agency-gui)
    lottery_add_test(tst_agency_gui_parts
        LIBS lottery::agency_gui lottery_test_support LABELS gui unit)
endif()
