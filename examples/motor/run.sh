#!/usr/bin/env bash
# The motor-temperature example (`make motor`): trains an MLP, a TCN and an LSTM on the Paderborn
# PMSM subset in ../shared (GPL-3: the data and everything made from it stay in the gitignored
# out/motor and are never committed), checks that tcdse's interpreter computes the same
# validation RMSE as torch (relative difference <= 1e-4), then sweeps each model and prints the
# Pareto fronts. Run from anywhere; paths are relative to the repository root.
#
# Environment: PYTHON (default /usr/bin/python3, with torch), MOTOR_CSV (the data),
# TCDSE_TEMPORAL, TCDSE_NATS and TCDSE_DATA_DIR (the embedded stack's addresses and state, on
# ports of their own so that the example does not clash with a `make run` or a `tcdse up`).
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-/usr/bin/python3}
MOTOR_CSV=${MOTOR_CSV:-../shared/datasets/pmsm_motor_temperature_subset/motor_profile60_3000rows.csv}
OUT=out/motor # fixed: the sweep specs name their models and data under it
TCDSE_TEMPORAL=${TCDSE_TEMPORAL:-127.0.0.1:17233}
TCDSE_NATS=${TCDSE_NATS:-nats://127.0.0.1:14222}
TCDSE_DATA_DIR=${TCDSE_DATA_DIR:-$OUT/.tcdse}
MODELS=(mlp tcn lstm)

if [[ ! -f "$MOTOR_CSV" ]]; then
	echo "motor example skipped: $MOTOR_CSV is absent (../shared/datasets is not mounted)"
	exit 0
fi

"${MAKE:-make}" build
mkdir -p "$OUT"

echo "== training (torch) =="
"$PYTHON" examples/motor/train.py "$MOTOR_CSV" "$OUT"

echo "== validation RMSE: torch vs tcdse's interpreter =="
for m in "${MODELS[@]}"; do
	bin/tcdse eval "$OUT/$m.onnx" --data "$OUT/${m}_val.npz" --metric rmse --json >"$OUT/${m}_go_eval.json"
done
"$PYTHON" - "$OUT" "${MODELS[@]}" <<'PY'
import json, sys
out, models = sys.argv[1], sys.argv[2:]
torch_rmse = json.load(open(f"{out}/torch_rmse.json"))["rmse"]
bad = []
for m in models:
    go = json.load(open(f"{out}/{m}_go_eval.json"))
    t, g = torch_rmse[m], go["value"]
    rel = abs(g - t) / abs(t)
    ok = rel <= 1e-4
    print(f"{m:5s} torch {t:.9f}  go {g:.9f}  relative difference {rel:.2e}  {'ok' if ok else 'MISMATCH'}"
          f"  ({go['samples']} samples)")
    if not ok:
        bad.append(m)
if bad:
    sys.exit(f"motor: Go's unpruned RMSE differs from torch's by more than 1e-4 (relative) for {', '.join(bad)}")
PY

for m in "${MODELS[@]}"; do
	echo "== sweep: examples/motor/$m.yaml =="
	bin/tcdse --temporal "$TCDSE_TEMPORAL" --nats "$TCDSE_NATS" --data-dir "$TCDSE_DATA_DIR" \
		run "examples/motor/$m.yaml"
done

echo "== Pareto fronts (RMSE, lower is better; baseline = the unpruned model) =="
for m in "${MODELS[@]}"; do
	echo "-- $m (unpruned RMSE $("$PYTHON" -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["value"])' "$OUT/${m}_go_eval.json"))"
	cat "$OUT/$m/front.txt"
done
