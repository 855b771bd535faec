// Package tflitefb is the Go code that Debian's flatc 2.0.8 generates from schema.fbs, a subset
// of TensorFlow Lite's model schema. Only model.ImportTFLite should use it; it reads .tflite
// files without copying them.
//
// The flatbuffers accessors panic on corrupt input (offsets out of range); callers must
// recover. The runtime module is github.com/google/flatbuffers v2.0.8, matching flatc 2.0.8.
package tflitefb

//go:generate flatc --go --go-namespace tflitefb -o .. schema.fbs
