# The agency side: bet file reading, the CLI's settings, the upload session against a fake server.
lottery_add_test(tst_bet_file_reader LIBS lottery::agency LABELS agency unit)
lottery_add_test(tst_agency_config LIBS lottery::agency_cli_config LABELS agency unit)
lottery_add_test(tst_agency_session LIBS lottery::agency LABELS agency integration TIMEOUT 120)
lottery_add_test(tst_upload_pump LIBS lottery::agency LABELS agency unit TIMEOUT 60)
