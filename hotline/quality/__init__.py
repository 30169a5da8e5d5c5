"""Quality review: scorecard templates, reviews with locked grades, 双随机 sampling, calibration."""
