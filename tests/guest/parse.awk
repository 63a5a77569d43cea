# Turns one test's output into result lines "PASS|FAIL|SKIP name [reason]".
# Variables: kind (c|sh|igt), bin, pre (name prefix), rc (exit code; 124 =
# killed by the watchdog).
function clean(s) { gsub(/[\r\t]/, " ", s); gsub(/  +/, " ", s); return substr(s, 1, 150) }
kind != "igt" && /^(PASS|FAIL|SKIP) / {
    res = $1; $1 = ""; sub(/^ /, "")
    print res " " pre $0
    n++; if (res == "FAIL") nfail++
    next
}
kind == "igt" && /^Test requirement: / { reason = $0; sub(/^Test requirement: /, "", reason) }
kind == "igt" && /^Starting subtest: / {
    cur = $0; sub(/^Starting subtest: /, "", cur)
    order[++ns] = cur; started[cur] = 1; reason = ""
    next
}
kind == "igt" && /^Starting dynamic subtest: / { reason = ""; next }
kind == "igt" && /^(Dynamic s|S)ubtest [^ ]+: (SUCCESS|SKIP|FAIL|CRASH|TIMEOUT)/ {
    dyn = ($1 == "Dynamic")
    name = dyn ? $3 : $2; sub(/:$/, "", name)
    st = dyn ? $4 : $3
    full = dyn ? cur "/" name : name
    if (!dyn) done[name] = 1
    if (st == "SUCCESS") print "PASS " pre full
    else if (st == "SKIP") print "SKIP " pre full " " (reason == "" ? "skipped" : clean(reason))
    else { print "FAIL " pre full " [" st "]"; nfail++ }
    n++
    next
}
END {
    why = (rc == 124) ? "timeout" : "exit " rc
    if (kind == "igt") {
        for (i = 1; i <= ns; i++) if (!(order[i] in done)) {
            print "FAIL " pre order[i] " [" why "]"; nfail++; n++
        }
        top = substr(pre, 1, length(pre) - 1)
        if (n == 0) {
            if (rc == 0) print "PASS " top
            else if (rc == 77) print "SKIP " top " " (reason == "" ? "skipped" : clean(reason))
            else print "FAIL " top " [" why "]"
        } else if (rc != 0 && rc != 77 && !(rc == 98 && nfail > 0)) {
            print "FAIL " top " [" why "]"
        }
        exit
    }
    top = substr(pre, 1, length(pre) - 1)
    if (rc == 124) print "FAIL " top " [timeout]"
    else if (n == 0) print "FAIL " top " [no result lines, " why "]"
    else if (rc != 0 && nfail == 0) print "FAIL " top " [" why "]"
}
