# The agency side: bet file reading, the CLI's settings, the upload session against a fake server.
lottery_add_test(tst_bet_file_reader LIBS lottery::agency LABELS agency unit)
lottery_add_test(tst_agency_config LIBS lottery::agency_cli_config LABELS agency unit)
if(TARGET agency-cli)
    add_dependencies(tst_agency_config agency-cli) # an unknown key ends the real program
endif()
lottery_add_test(tst_agency_session LIBS lottery::agency LABELS agency integration TIMEOUT 120)
# agency-cli on a pseudo-terminal (the progress bar) and on pipes (exactly the log lines).
lottery_add_test(tst_agency_cli_terminal LIBS lottery_test_support LABELS agency integration
    TIMEOUT 300)
if(TARGET agency-cli AND TARGET lottery-server)
    add_dependencies(tst_agency_cli_terminal agency-cli lottery-server)
endif()
# The messages both programs show a person (upload errors, the server's codes, invalid rows).
lottery_add_test(tst_agency_user_messages LIBS lottery::agency LABELS agency unit)
lottery_add_test(tst_upload_pump LIBS lottery::agency LABELS agency unit TIMEOUT 60)
# docs/PROTOCOL.md section 10 (the agency file): its example tables, read from the document,
# against the reader and the suspicious-file check.
lottery_add_test(tst_agency_file_format LIBS lottery::agency LABELS agency unit)
# agency-cli refusing a suspicious file before anything is sent, against a real lottery-server.
lottery_add_test(tst_agency_cli_file_check LIBS lottery_test_support LABELS agency integration
    TIMEOUT 180)
if(TARGET agency-cli AND TARGET lottery-server)
    add_dependencies(tst_agency_cli_file_check agency-cli lottery-server)
endif()
# What the agency reports as stored after a reconnection is what the server holds.
lottery_add_test(tst_agency_counts LIBS lottery::server lottery::agency lottery_test_support
    LABELS agency integration TIMEOUT 180)
