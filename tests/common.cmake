# The pieces every program shares (common/).
lottery_add_test(tst_log_line LIBS lottery::common LABELS unit)
lottery_add_test(tst_bet_digest LIBS lottery::common LABELS unit)
# The CSV forms of a bet (header-only, no Qt): RFC 4180 records (common/csv.h), the file store's
# bets.csv rows (common/stored_bet_row.h) and the agencies' input rows (agency_csv_row.h).
lottery_add_test(tst_bet_csv LIBS lottery::stored_bet_row lottery::agency_csv_row LABELS unit
    TIMEOUT 60)
