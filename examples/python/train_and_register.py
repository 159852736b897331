#!/usr/bin/env python3
"""Train a next-hour forecaster on AI Hub's features and put it in production, with the Python client.

    export AIHUB_URL=http://127.0.0.1:8080 AIHUB_API_KEY=...     # a writer key
    /usr/bin/python3 examples/python/train_and_register.py --set forecast_basic --metric kwh --model load-forecast

1. the training set: point-in-time features of every hour of the last --hours hours, with labels
   (`get_offline_features`, paged by the client), and the same rows as a Parquet export whose sha256
   is checked on download (the export is what the model's lineage points to);
2. a scikit-learn linear regression of `label_next_1h` on the set's features, scored on the last 20 %
   of the hours (held out);
3. registration of the model (a joblib file, streamed with its sha256) with its metrics, parameters
   and lineage, then promotion to production;
4. the online features of the same entities (materialized first), and the model's predictions.
Prints one JSON line at the end with what it did.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import joblib
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error

from aihub import Client, Lineage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="forecast_basic", help="feature set, name or name@version")
    parser.add_argument("--metric", default="kwh", help="target metric")
    parser.add_argument("--model", default="load-forecast", help="model name in the registry")
    parser.add_argument("--hours", type=int, default=72, help="training window: this many hours up to the current one")
    parser.add_argument("--out", default=None, help="folder for the export and the model file (default: a temporary one)")
    args = parser.parse_args()

    hub = Client()  # AIHUB_URL and AIHUB_API_KEY
    out = Path(args.out or tempfile.mkdtemp(prefix="aihub-train-"))
    end = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=args.hours)

    # 1. Training set: every entity with readings of the metric x every hour of [start, end).
    offline = hub.get_offline_features(args.set, args.metric, range=(start, end), labels=True)
    for warning in offline.warnings:
        print(f"warning: {warning}")
    features = offline.columns
    rows = offline.to_pandas().dropna()  # rows with every feature and a label
    if rows.empty:
        raise SystemExit(f"no complete training rows for {args.set} / {args.metric} in [{start}, {end})")
    export = hub.wait_export(hub.start_export(args.set, args.metric, range=(start, end), labels=True))
    parquet = hub.download_export(export.id, out)
    print(f"training set: {len(offline)} rows ({len(rows)} complete) in {offline.requests} request(s); "
          f"export {export.id}: {parquet.path} ({parquet.size_bytes} bytes, sha256 verified)")

    # 2. Fit on the earlier hours, score on the last 20 %.
    cutoff = start + timedelta(hours=math.floor(args.hours * 0.8))
    train, test = rows[rows["as_of"] < cutoff], rows[rows["as_of"] >= cutoff]
    model = LinearRegression().fit(train[features], train["label_next_1h"])
    predicted = model.predict(test[features])
    metrics = {
        "mae": float(mean_absolute_error(test["label_next_1h"], predicted)),
        "rmse": float(math.sqrt(mean_squared_error(test["label_next_1h"], predicted))),
        "train_rows": len(train),
        "test_rows": len(test),
    }

    # 3. Register (streamed upload, sha256 checked by the server) and promote.
    path = out / "model.joblib"
    joblib.dump(model, path)
    version = hub.register_model(
        args.model,
        path,
        "joblib",
        metrics=metrics,
        params={"estimator": "sklearn.linear_model.LinearRegression", "features": ",".join(features)},
        lineage=Lineage(
            feature_set=offline.feature_set,
            feature_set_version=offline.version,
            target_metric=args.metric,
            export_id=export.id,
            training_from=start,
            training_to=end,
        ),
    )
    promotion = hub.promote(version.ref, "production", comment=f"mae {metrics['mae']:.4g} on the last 20 % of hours")
    print(f"registered {version.ref} (sha256 {(version.sha256 or '')[:12]}…), now {promotion.version.stage}")

    # 4. Serve: the current hour's vectors from the online store, and the next hour's forecast.
    hub.materialize(args.set, args.metric)
    entities = sorted(rows["entity_id"].unique())
    online = hub.get_online_features(args.set, args.metric, entities, as_frame=True)
    ready = online.dropna(subset=features)
    forecasts = dict(zip(ready["entity_id"], (float(y) for y in model.predict(ready[features]))))
    for entity, value in forecasts.items():
        print(f"{entity}: next hour {value:.3f}")

    print(json.dumps({
        "model": version.ref,
        "modelId": version.id,
        "stage": promotion.version.stage,
        "metrics": metrics,
        "exportId": export.id,
        "trainingFrom": start.isoformat(),
        "trainingTo": end.isoformat(),
        "rows": len(offline),
        "online": {
            row.entity_id: {"asOf": row.as_of.isoformat(), "source": row.source, "forecast": forecasts.get(row.entity_id)}
            for row in online.itertuples()
        },
    }))


if __name__ == "__main__":
    main()
