// Package onnxpb holds the Go bindings of the ONNX protobuf schema (onnx.proto, Apache-2.0, copied
// from Debian's libonnx-dev 1.12), generated with protoc and protoc-gen-go v1.36.11. The ONNX
// schema declares no go_package, so the generator is told the import path with an M option.
//
// To regenerate: install protoc (Debian: protobuf-compiler) and the generator with
// "go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11", then run go generate here.
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/tcdse/tcdse/model/onnxpb onnx.proto
