// Package dataset reads evaluation data (MNIST idx, .npy, .npz, numeric CSV and raw little-endian
// .bin samples, optionally cut into sliding windows) into tensors and scores model outputs
// against it with metrics that know their direction: top1, auc, pauc and the MLPerf Tiny anomaly
// score go up; mse, rmse and mae go down.
package dataset
