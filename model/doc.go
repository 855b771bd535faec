// Package model holds tcdse's intermediate representation (IR) of a trained neural network, the
// importers that build it from ONNX and TFLite files, and a batched interpreter that runs it.
//
// The IR is deliberately small and canonical. Importers normalise framework-specific operators
// into it: Gemm, MatMul and FullyConnected all become [OpDense]; BatchNormalization is folded
// into the preceding convolution or dense layer; Flatten becomes [OpReshape]. Every consumer
// (pruning, cost model, code generation) therefore sees one shape of graph.
//
// Activations are laid out NCHW. Shapes stored in the graph are per sample: the batch dimension
// is not part of them, and the interpreter adds it as the leading dimension of every tensor.
package model
