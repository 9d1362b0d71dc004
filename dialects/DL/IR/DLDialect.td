//===- DLDialect.td - the dl dialect definition ------------*- tablegen -*-===//
//
// The `dl` dialect is the graph-level IR that the DL front end emits: ops on
// ranked tensors with NumPy broadcasting, before autodiff, fusion and lowering
// to linalg.
//
//===----------------------------------------------------------------------===//

#ifndef DL_DIALECT_TD
#define DL_DIALECT_TD

include "mlir/IR/OpBase.td"

def DL_Dialect : Dialect {
  let name = "dl";
  let summary = "Graph-level tensor operations of the DL model language";
  let description = [{
    Ops on ranked tensors. Elementwise binary ops broadcast with NumPy rules;
    a dynamic dimension (`?`) is never implicitly broadcast: it must match the
    other side or meet a static 1 (see docs/dialect.md).
  }];
  let cppNamespace = "::mlir::dl";
  let hasConstantMaterializer = 1;
}

class DL_Op<string mnemonic, list<Trait> traits = []>
    : Op<DL_Dialect, mnemonic, traits>;

#endif // DL_DIALECT_TD
