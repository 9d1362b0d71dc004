// RUN: dl-opt %s | FileCheck %s
// RUN: dl-opt %s | dl-opt | FileCheck %s
// Every dl op prints and parses back unchanged, including inferred types.

// CHECK-LABEL: func.func @ops
func.func @ops(%a: tensor<?x4xf32>, %b: tensor<4xf32>, %w: tensor<4x3xf32>) -> tensor<?x3xf32> {
  // CHECK: %[[C:.*]] = dl.constant dense<1.500000e+00> : tensor<f32>
  %c = dl.constant dense<1.5> : tensor<f32>
  // CHECK: %[[ADD:.*]] = dl.add %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32>
  %0 = dl.add %a, %b : tensor<?x4xf32>, tensor<4xf32>
  // CHECK: dl.sub %[[ADD]], %[[C]] : tensor<?x4xf32>, tensor<f32>
  %1 = dl.sub %0, %c : tensor<?x4xf32>, tensor<f32>
  // CHECK: dl.mul
  %2 = dl.mul %1, %1 : tensor<?x4xf32>, tensor<?x4xf32>
  // CHECK: dl.div
  %3 = dl.div %2, %b : tensor<?x4xf32>, tensor<4xf32>
  // CHECK: dl.neg %{{.*}} : tensor<?x4xf32>
  %4 = dl.neg %3 : tensor<?x4xf32>
  // CHECK: dl.relu %{{.*}} : tensor<?x4xf32>
  %5 = dl.relu %4 : tensor<?x4xf32>
  // CHECK: dl.matmul %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4x3xf32>
  %6 = dl.matmul %5, %w : tensor<?x4xf32>, tensor<4x3xf32>
  return %6 : tensor<?x3xf32>
}

// Broadcasting infers the stretched shape: [3,1] + [1,5] -> [3,5].
// CHECK-LABEL: func.func @broadcast_both
func.func @broadcast_both(%a: tensor<3x1xf64>, %b: tensor<1x5xf64>) -> tensor<3x5xf64> {
  // CHECK: dl.add %{{.*}}, %{{.*}} : tensor<3x1xf64>, tensor<1x5xf64>
  %0 = dl.add %a, %b : tensor<3x1xf64>, tensor<1x5xf64>
  return %0 : tensor<3x5xf64>
}

// A dynamic dimension against a static one takes the static size.
// CHECK-LABEL: func.func @dynamic_meets_static
func.func @dynamic_meets_static(%a: tensor<?xf32>, %b: tensor<7xf32>) -> tensor<7xf32> {
  %0 = dl.mul %a, %b : tensor<?xf32>, tensor<7xf32>
  return %0 : tensor<7xf32>
}

// Integer tensors: wrapping arithmetic, matmul and relu.
// CHECK-LABEL: func.func @integers
func.func @integers(%a: tensor<2x3xi64>, %b: tensor<3x2xi64>, %c: tensor<2xi32>) -> tensor<2x2xi64> {
  // CHECK: dl.matmul %{{.*}}, %{{.*}} : tensor<2x3xi64>, tensor<3x2xi64>
  %0 = dl.matmul %a, %b : tensor<2x3xi64>, tensor<3x2xi64>
  // CHECK: dl.relu %{{.*}} : tensor<2x2xi64>
  %1 = dl.relu %0 : tensor<2x2xi64>
  // CHECK: dl.sub %{{.*}}, %{{.*}} : tensor<2xi32>, tensor<2xi32>
  %2 = dl.sub %c, %c : tensor<2xi32>, tensor<2xi32>
  return %1 : tensor<2x2xi64>
}

// CHECK-LABEL: func.func @nn
func.func @nn(%x: tensor<?x1x28x28xf32>, %w: tensor<8x1x3x3xf32>, %b: tensor<8xf32>, %y: tensor<?xi32>) -> tensor<f32> {
  // CHECK: dl.conv2d %{{.*}}, %{{.*}}, %{{.*}} <{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}> : tensor<?x1x28x28xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>
  %0 = dl.conv2d %x, %w, %b <{dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}> : tensor<?x1x28x28xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>
  // CHECK: dl.max_pool2d %{{.*}} <{kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}> : tensor<?x8x28x28xf32>
  %1 = dl.max_pool2d %0 <{kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>}> : tensor<?x8x28x28xf32>
  // CHECK: dl.avg_pool2d
  %2 = dl.avg_pool2d %1 <{kernel = array<i64: 2, 2>, padding = array<i64: 1, 1>, stride = array<i64: 1, 1>}> : tensor<?x8x14x14xf32>
  // CHECK: dl.reshape %{{.*}} : tensor<?x8x15x15xf32> -> tensor<?x1800xf32>
  %3 = dl.reshape %2 : tensor<?x8x15x15xf32> -> tensor<?x1800xf32>
  // CHECK: dl.transpose %{{.*}} [1, 0] : tensor<?x1800xf32>
  %4 = dl.transpose %3 [1, 0] : tensor<?x1800xf32>
  // CHECK: dl.reduce_sum %{{.*}} along [0] keepdims : tensor<1800x?xf32>
  %5 = dl.reduce_sum %4 along [0] keepdims : tensor<1800x?xf32>
  // CHECK: dl.reduce_mean %{{.*}} along [1] : tensor<?x1800xf32>
  %6 = dl.reduce_mean %3 along [1] : tensor<?x1800xf32>
  // CHECK: dl.softmax %{{.*}} axis 1 : tensor<?x1800xf32>
  %7 = dl.softmax %3 axis 1 : tensor<?x1800xf32>
  // CHECK: dl.log_softmax %{{.*}} axis 0 : tensor<?x1800xf32>
  %8 = dl.log_softmax %7 axis 0 : tensor<?x1800xf32>
  // CHECK: dl.one_hot %{{.*}} : tensor<?xi32> -> tensor<?x4xf32>
  %9 = dl.one_hot %y : tensor<?xi32> -> tensor<?x4xf32>
  // CHECK: dl.cross_entropy %{{.*}}, %{{.*}} : tensor<?x1800xf32>, tensor<?xi32>
  %10 = dl.cross_entropy %8, %y : tensor<?x1800xf32>, tensor<?xi32>
  // CHECK: dl.sigmoid
  %11 = dl.sigmoid %10 : tensor<f32>
  return %11 : tensor<f32>
}

// CHECK-LABEL: func.func @logic
func.func @logic(%a: tensor<?x4xf32>, %b: tensor<4xf32>) -> tensor<?xi64> {
  // CHECK: dl.compare "le" %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<4xf32>
  %c = dl.compare "le" %a, %b : tensor<?x4xf32>, tensor<4xf32>
  // CHECK: dl.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>
  %s = dl.select %c, %a, %b : tensor<?x4xi1>, tensor<?x4xf32>, tensor<4xf32>
  // CHECK: dl.convert %{{.*}} : tensor<?x4xi1> -> tensor<?x4xi32>
  %i = dl.convert %c : tensor<?x4xi1> -> tensor<?x4xi32>
  // CHECK: dl.argmax %{{.*}} axis 1 : tensor<?x4xf32>
  %m = dl.argmax %s axis 1 : tensor<?x4xf32>
  return %m : tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @training_ops
// CHECK: dl.batch_norm %{{.*}} <{eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64, training}> : tensor<?x3x4x4xf32>, tensor<3xf32>
// CHECK: dl.dropout %{{.*}}, %{{.*}} <{p = 5.000000e-01 : f64, stream = 1 : i64}> : tensor<?x3x4x4xf32>, tensor<i64>
// CHECK: dl.random_uniform %{{.*}}, %{{.*}} <{stream = 2 : i64}> : tensor<i64>, tensor<?x3x4x4xf32>
// CHECK: dl.numel %{{.*}} <{axes = array<i64: 0, 2, 3>}> : tensor<?x3x4x4xf32>
func.func @training_ops(%x: tensor<?x3x4x4xf32>, %s: tensor<3xf32>, %key: tensor<i64>) {
  %y, %m, %v = dl.batch_norm %x, %s, %s, %s, %s <{eps = 1.0e-05 : f64, momentum = 0.1 : f64, training}> : tensor<?x3x4x4xf32>, tensor<3xf32>
  %d = dl.dropout %y, %key <{p = 0.5 : f64, stream = 1 : i64}> : tensor<?x3x4x4xf32>, tensor<i64>
  %u = dl.random_uniform %key, %d <{stream = 2 : i64}> : tensor<i64>, tensor<?x3x4x4xf32>
  %n = dl.numel %u <{axes = array<i64: 0, 2, 3>}> : tensor<?x3x4x4xf32>
  return
}
