# The pieces every program shares (common/).
lottery_add_test(tst_log_line LIBS lottery::common LABELS unit)
