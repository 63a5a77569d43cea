# Turns the output of one of our tests (a C program of tests/c or a script
# of tests/guest/tests) into result lines "PASS|FAIL|SKIP name [reason]".
# IGT's results come from igt_runner's results.json instead (report.py igt).
# Variables: pre (name prefix), rc (exit code; 124 = killed by the watchdog).
/^(PASS|FAIL|SKIP) / {
    res = $1; $1 = ""; sub(/^ /, "")
    print res " " pre $0
    n++; if (res == "FAIL") nfail++
    next
}
END {
    why = (rc == 124) ? "timeout" : "exit " rc
    top = substr(pre, 1, length(pre) - 1)
    if (rc == 124) print "FAIL " top " [timeout]"
    else if (n == 0) print "FAIL " top " [no result lines, " why "]"
    else if (rc != 0 && nfail == 0) print "FAIL " top " [" why "]"
}
