# The pieces every program shares (common/).
lottery_add_test(tst_log_line LIBS lottery::common LABELS unit)
lottery_add_test(tst_bet_digest LIBS lottery::common LABELS unit)
