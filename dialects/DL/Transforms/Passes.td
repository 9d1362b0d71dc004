//===- Passes.td - transformations of the dl dialect -------*- tablegen -*-===//

#ifndef DL_TRANSFORMS_PASSES_TD
#define DL_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DLDecompose : Pass<"dl-decompose"> {
  let summary = "Expand composite dl ops into primitive dl ops";
  let description = [{
    `dl.softmax`, `dl.log_softmax` and `dl.cross_entropy` are kept whole by
    the front end (so analyses and, later, autodiff see them as units) and are
    expanded here, before lowering, into the numerically stable forms:

    - softmax(x) = e / sum(e), e = exp(x - max(x))
    - log_softmax(x) = z - log(sum(exp(z))), z = x - max(x)
    - cross_entropy(l, y) = -mean(sum(one_hot(y) * log_softmax(l), 1))

    Every op created carries the location of the op it expands.

    Before:
    ```mlir
    %p = dl.softmax %x axis 1 : tensor<?x10xf32>
    ```
    After:
    ```mlir
    %m = dl.reduce_max %x along [1] keepdims : tensor<?x10xf32>
    %z = dl.sub %x, %m : tensor<?x10xf32>, tensor<?x1xf32>
    %e = dl.exp %z : tensor<?x10xf32>
    %s = dl.reduce_sum %e along [1] keepdims : tensor<?x10xf32>
    %p = dl.div %e, %s : tensor<?x10xf32>, tensor<?x1xf32>
    ```
  }];
}

#endif // DL_TRANSFORMS_PASSES_TD
