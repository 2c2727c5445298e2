"""From contact logs to scenarios and back: loading logs, estimation, backtests."""
