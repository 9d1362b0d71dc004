//===- DLInterfaces.td - interfaces of the dl dialect ------*- tablegen -*-===//

#ifndef DL_INTERFACES_TD
#define DL_INTERFACES_TD

include "mlir/IR/OpBase.td"

def DL_VJPOpInterface : OpInterface<"VJPOpInterface"> {
  let description = [{
    The op's reverse-mode derivative rule (vector-Jacobian product): given the
    adjoint of its result, build the adjoints of its operands with dl ops.
    `dl-autodiff` calls it for every active op; an op without it is reported
    as not differentiable. Rules live in DLVJP.cpp, one per op.
  }];
  let cppNamespace = "::mlir::dl";
  let methods = [
    InterfaceMethod<[{
        Appends one adjoint per operand to `operandAdjoints` (a null Value
        for an operand that has no gradient, such as an integer index).
        Every op built carries the op's own location.
      }],
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$b, "::mlir::Value":$resultAdjoint,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandAdjoints)>,
  ];
}

#endif // DL_INTERFACES_TD
