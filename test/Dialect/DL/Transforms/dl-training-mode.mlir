// RUN: dl-opt %s -split-input-file -dl-training-mode | FileCheck %s

// The trained function keeps evaluation mode and loses its attribute; the
// copy trains: batch statistics, a keyed dropout, the running statistics
// and the step counter returned as updates of arguments 0, 1 and 2.

// CHECK-LABEL: func.func @loss(
// CHECK-NOT: dl.train
// CHECK: dl.batch_norm {{.*}} <{eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64}>
// CHECK: dl.dropout %{{.*}} <{p = 5.000000e-01 : f64, stream = 0 : i64}> : tensor<?x4xf32>

// CHECK-LABEL: func.func private @loss.train(
// CHECK-SAME: %[[RM:[^:]*]]: tensor<4xf32> {dl.buffer = "running", dl.param = "rm"}
// CHECK-SAME: %[[RV:[^:]*]]: tensor<4xf32> {dl.buffer = "running", dl.param = "rv"}
// CHECK-SAME: %[[N:[^:]*]]: tensor<i64> {dl.buffer = "step_count", dl.param = "n"}
// CHECK-SAME: %[[KEY:[^:]*]]: tensor<i64> {dl.rng})
// CHECK-SAME: -> (tensor<f32>, tensor<4xf32>, tensor<4xf32>, tensor<i64>)
// CHECK-SAME: attributes {dl.train = {optimizer = "sgd"}, dl.updates = array<i64: 0, 1, 2>}
// CHECK: %[[Y:.*]], %[[M:.*]], %[[V:.*]] = dl.batch_norm %{{.*}}, %[[RM]], %[[RV]] <{{.*}}training}>
// CHECK: dl.dropout %[[Y]], %[[KEY]] <{p = 5.000000e-01 : f64, stream = 0 : i64}>
// CHECK: dl.dropout %{{.*}}, %[[KEY]] <{p = 5.000000e-01 : f64, stream = 1 : i64}>
// CHECK: %[[ONE:.*]] = dl.constant dense<1> : tensor<i64>
// CHECK: %[[N1:.*]] = dl.add %[[N]], %[[ONE]]
// CHECK: return %{{.*}}, %[[M]], %[[V]], %[[N1]]
func.func @loss(%rm: tensor<4xf32> {dl.param = "rm", dl.buffer = "running"},
                %rv: tensor<4xf32> {dl.param = "rv", dl.buffer = "running"},
                %n: tensor<i64> {dl.param = "n", dl.buffer = "step_count"},
                %w: tensor<4xf32> {dl.param = "w"},
                %x: tensor<?x4xf32>) -> tensor<f32>
    attributes {dl.train = {optimizer = "sgd"}} {
  %y, %m, %v = dl.batch_norm %x, %w, %w, %rm, %rv <{eps = 1.0e-05 : f64, momentum = 0.1 : f64}> : tensor<?x4xf32>, tensor<4xf32>
  %d = dl.dropout %y <{p = 0.5 : f64, stream = 0 : i64}> : tensor<?x4xf32>
  %e = dl.dropout %d <{p = 0.5 : f64, stream = 0 : i64}> : tensor<?x4xf32>
  %s = dl.reduce_sum %e along [0, 1] : tensor<?x4xf32>
  return %s : tensor<f32>
}

// -----

// A module applied twice chains its running-statistic updates.

// CHECK-LABEL: func.func private @twice.train(
// CHECK-SAME: %[[RM:[^:]*]]: tensor<2xf32>
// CHECK: %{{.*}}, %[[M1:.*]], %[[V1:.*]] = dl.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %[[RM]], %{{[^ ]*}} <{{.*}}training}>
// CHECK: %{{.*}}, %[[M2:.*]], %[[V2:.*]] = dl.batch_norm %{{.*}}, %{{.*}}, %{{.*}}, %[[M1]], %[[V1]] <{{.*}}training}>
// CHECK: return %{{.*}}, %[[M2]], %[[V2]]
func.func @twice(%rm: tensor<2xf32> {dl.param = "rm", dl.buffer = "running"},
                 %rv: tensor<2xf32> {dl.param = "rv", dl.buffer = "running"},
                 %w: tensor<2xf32> {dl.param = "w"},
                 %x: tensor<3x2xf32>) -> tensor<f32>
    attributes {dl.train = {optimizer = "sgd"}} {
  %y, %m, %v = dl.batch_norm %x, %w, %w, %rm, %rv <{eps = 1.0e-05 : f64, momentum = 0.1 : f64}> : tensor<3x2xf32>, tensor<2xf32>
  %z, %m2, %v2 = dl.batch_norm %y, %w, %w, %rm, %rv <{eps = 1.0e-05 : f64, momentum = 0.1 : f64}> : tensor<3x2xf32>, tensor<2xf32>
  %s = dl.reduce_sum %z along [0, 1] : tensor<3x2xf32>
  return %s : tensor<f32>
}
