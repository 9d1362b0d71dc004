//===- DLMathOps.td - elementwise math ---------------------*- tablegen -*-===//
//
// Unary elementwise functions (same type in and out) and `dl.pow`.
//
//===----------------------------------------------------------------------===//

#ifndef DL_MATH_OPS_TD
#define DL_MATH_OPS_TD

class DL_UnaryOp<string mnemonic, string what, TypeConstraint tensor = DL_FloatTensor>
    : DL_Op<mnemonic, [Pure, SameOperandsAndResultType, DeclareOpInterfaceMethods<DL_VJPOpInterface>]> {
  let summary = what;
  let description = [{
    Elementwise; the result has the operand's type.

    ```mlir
    %r = dl.}] # mnemonic # [{ %x : tensor<?x4xf32>
    ```
  }];
  let arguments = (ins tensor:$input);
  let results = (outs tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def DL_ExpOp : DL_UnaryOp<"exp", "e^x">;
def DL_LogOp : DL_UnaryOp<"log", "Natural logarithm (log 0 = -inf, log of a negative = NaN)">;
def DL_SqrtOp : DL_UnaryOp<"sqrt", "Square root">;
def DL_RsqrtOp : DL_UnaryOp<"rsqrt", "1 / sqrt(x)">;
def DL_AbsOp : DL_UnaryOp<"abs", "Absolute value", DL_NumericTensor>;
def DL_SigmoidOp : DL_UnaryOp<"sigmoid", "Logistic function 1 / (1 + e^-x), overflow-free">;
def DL_TanhOp : DL_UnaryOp<"tanh", "Hyperbolic tangent">;
def DL_GeluOp : DL_UnaryOp<"gelu", "GELU, exact form x * (1 + erf(x / sqrt 2)) / 2 (torch default)">;
def DL_ErfOp : DL_UnaryOp<"erf", "The error function">;

def DL_PowOp : DL_BroadcastBinaryOp<"pow", "power x^y", DL_FloatTensor>;

#endif // DL_MATH_OPS_TD
