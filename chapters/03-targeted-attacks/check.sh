# chapters/03-targeted-attacks/check.sh - sourced by tests/integration.sh after the smoke
# pipeline (helpers: check, q, pass, fail; paths: $OUT, $DB).
#
# Carlini-Wagner attacks every correctly classified 2 (so its L2 is compared with PGD's on
# the same images), model B trains as long as model A, the grids show only successes and
# are one PNG per method recorded with their SHA-256, PGD's best iterate never loses what
# the stopped attack found, transfer is measured for the untargeted attacks too, and the
# adversarial training study has every setting for every seed with its McNemar test.
ch=03-targeted-attacks
attacks="(SELECT max(id) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'attacks')"
transfer="(SELECT max(id) FROM latest_runs WHERE chapter = '$ch' AND experiment = 'transfer')"
eps_grid="(SELECT json_extract(config_json, '$.eps_grid') FROM latest_runs WHERE id = $attacks)"
check "$ch: Carlini-Wagner on every attacked 2" \
    test "$(q "SELECT count(DISTINCT sample) FROM attacks WHERE run_id = $attacks AND method = 'cw'")" = \
         "$(q "SELECT count(DISTINCT sample) FROM attacks WHERE run_id = $attacks AND method = 'pgd'")"
check "$ch: model B trained as long as model A" \
    test "$(q "SELECT count(DISTINCT json_extract(config_json, '$.epochs')) FROM latest_runs
               WHERE chapter = '$ch' AND experiment IN ('cnn', 'cnn-b')")" = 1
check "$ch: every grid row is a success of FGSM, PGD and Carlini-Wagner" \
    test "$(q "SELECT count(*) FROM metrics g JOIN attacks a ON a.run_id = g.run_id AND a.sample = g.value
               WHERE g.run_id = $attacks AND g.name LIKE 'grid_sample_%' AND a.success = 1
                 AND (a.method = 'cw' OR (a.method IN ('fgsm', 'pgd') AND a.eps = $eps_grid))")" = \
         "$(q "SELECT printf('%d', 3 * value) FROM metrics WHERE run_id = $attacks AND name = 'grid_rows'")"
check "$ch: PGD's best iterate succeeds exactly where the stopped attack does" \
    test "$(q "SELECT count(*) FROM attacks p JOIN attacks b ON b.run_id = p.run_id AND b.sample = p.sample
               AND b.method = 'pgd-best' AND b.eps = p.eps
               WHERE p.run_id = $attacks AND p.method = 'pgd' AND p.success != b.success")" = 0
check "$ch: untargeted attacks measured on model B too" \
    test "$(q "SELECT count(*) FROM attacks WHERE run_id = $transfer AND method = 'pgd-untargeted'")" = \
         "$(q "SELECT count(*) FROM attacks WHERE run_id = $attacks AND method = 'pgd-untargeted'")"
check "$ch: FGSM clipping measured at every eps of the sweep" \
    test "$(q "SELECT count(*) FROM metrics WHERE run_id = $attacks AND name LIKE 'fgsm_clip_lost_gain@%'")" = \
         "$(q "SELECT count(DISTINCT eps) FROM attacks WHERE run_id = $attacks AND method = 'fgsm'")"
check "$ch: adversarial training: 8 settings, each with the same 3 or more seeds" \
    test "$(q "SELECT count(DISTINCT experiment) || ' ' || (min(n) = max(n) AND min(n) >= 3)
               FROM (SELECT experiment, count(DISTINCT seed) AS n FROM latest_runs
                     WHERE chapter = '$ch' AND experiment LIKE 'robust-%' GROUP BY experiment)")" = "8 1"
check "$ch: every adversarially trained network has its McNemar test against the standard one" \
    test "$(q "SELECT count(*) FROM latest_runs r WHERE r.chapter = '$ch' AND r.experiment LIKE 'robust-%'
               AND r.experiment != 'robust-standard'
               AND NOT EXISTS (SELECT 1 FROM metrics WHERE run_id = r.id AND name = 'mcnemar_p')")" = 0
for fig in grids robust transfer_eps; do
    check "$ch: figure $fig (svg and pdf)" \
        test -s "$OUT/figures/$ch-$fig.svg" -a -s "$OUT/figures/$ch-$fig.pdf"
done
grids_ok=1 grids=0
while IFS='|' read -r path sha; do
    grids=$((grids + 1))
    [[ "$(sha256sum "$path" | cut -d' ' -f1)" == "$sha" ]] || grids_ok=0
done < <(q "SELECT path, sha256 FROM artifacts WHERE run_id = $attacks AND path LIKE '%-grid-%.png'")
check "$ch: one grid PNG per method ($grids), each matching its SHA-256" \
    test "$grids_ok" = 1 -a "$grids" = 3
