# check.sh - chapter 04's assertions on the smoke pipeline (sourced by tests/integration.sh,
# which provides check, q, pass, fail, $OUT, $DB, $HTML).
#
# The final model file exists where the contract with chapter 05 says (the 'model' artifact
# of the newest done 'final' run), matches its recorded SHA-256, and `cifar-test` on it
# reproduces the accuracy the pipeline logged; damaged copies are refused with one line.
ch=04-cifar10
check "$ch: the final run and the five ablations are done" \
    test "$(q "SELECT count(DISTINCT experiment) FROM latest_runs WHERE chapter = '$ch'
              AND experiment IN ('final', 'base', 'no-augment', 'narrow', 'short', 'no-smoothing')")" = 6
model=$(q "SELECT a.path FROM artifacts a JOIN latest_runs r ON r.id = a.run_id
           WHERE r.chapter = '$ch' AND r.experiment = 'final' AND a.kind = 'model'")
sha=$(q "SELECT a.sha256 FROM artifacts a JOIN latest_runs r ON r.id = a.run_id
         WHERE r.chapter = '$ch' AND r.experiment = 'final' AND a.kind = 'model'")
check "$ch: the final model is $OUT/$ch/cifar10-final.nnm" test "$model" = "$OUT/$ch/cifar10-final.nnm"
check "$ch: the model file exists" test -s "$model"
check "$ch: the model file matches its SHA-256" \
    test "$(sha256sum "$model" 2>/dev/null | cut -d' ' -f1)" = "$sha"
check "$ch: the run says how to feed the model (input pixels/255)" \
    test "$(q "SELECT json_extract(config_json, '$.input') FROM latest_runs
              WHERE chapter = '$ch' AND experiment = 'final'")" = "pixels/255"
want=$(q "SELECT printf('%.2f', 100 * m.value) FROM metrics m JOIN latest_runs r ON r.id = m.run_id
          WHERE r.chapter = '$ch' AND r.experiment = 'final' AND m.name = 'test_accuracy'")
got=$(build/release/bin/cifar-test "$model" --db "$OUT/$ch-test.sqlite" --profile smoke 2>/dev/null |
      awk '/^test accuracy [0-9.]+%/ { sub("%", "", $3); print $3 }')
check "$ch: cifar-test on the file reproduces the logged accuracy ($want)" \
    test -n "$want" -a "$got" = "$want"
check "$ch: the per-layer parameters add up to the file's count" \
    test "$(q "SELECT sum(json_extract(l.value, '$.params')) FROM latest_runs r,
                  json_each(r.config_json, '$.layers') l WHERE r.chapter = '$ch' AND r.experiment = 'final'")" = \
         "$(q "SELECT CAST(m.value AS INTEGER) FROM metrics m JOIN latest_runs r ON r.id = m.run_id
               WHERE r.chapter = '$ch' AND r.experiment = 'final' AND m.name = 'parameters'")"
# Damaged copies: a flipped byte (checksum), a cut-off file, a file that is not a model.
bad=$OUT/$ch-damaged.nnm
cp "$model" "$bad" && printf '\x5a' | dd of="$bad" bs=1 seek=200 conv=notrunc 2>/dev/null
for kind in flipped truncated other; do
    case $kind in
        truncated) head -c 1000 "$model" >"$bad" ;;
        other) printf 'not a model\n' >"$bad" ;;
    esac
    if msg=$(build/release/bin/cifar-test "$bad" --db "$OUT/$ch-test.sqlite" --profile smoke 2>&1 >/dev/null); then
        fail "$ch: a $kind model file was accepted"
    else
        check "$ch: a damaged ($kind) model file is refused with one line naming it ($msg)" \
            bash -c '[[ $(wc -l <<<"$1") -eq 1 && "$1" == *"$2"* ]]' _ "$msg" "$bad"
    fi
done
check "$ch: the confused-pairs picture exists" test -s "$OUT/figures/$ch-confused.png"
