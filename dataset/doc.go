// Package dataset reads evaluation data (MNIST idx, .npy and .npz) into tensors and scores model
// outputs against it with metrics that know their direction (accuracy up, error down).
package dataset
