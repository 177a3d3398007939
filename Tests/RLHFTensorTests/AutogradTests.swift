// The autodiff engine: accumulation over backward() calls, withNoGrad, detached(), valueAndGrad,
// diamond graphs, deep chains, seeds, and gradients that are owned by their leaf.

import Foundation
import XCTest
@testable import RLHFTensor

final class AutogradTests: XCTestCase {
    func testGradientsAccumulateOverTwoBackwardCalls() {
        let x = Tensor([1, -2, 3]).requiringGrad()
        (x * x).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [2, -4, 6])
        (x * x).sum().backward()   // a fresh graph
        XCTAssertEqual(x.grad?.scalars, [4, -8, 12])
        let y = (x * 3).sum()
        y.backward(); y.backward()   // the same graph twice
        XCTAssertEqual(x.grad?.scalars, [10, -2, 18])
        x.zeroGrad()
        XCTAssertNil(x.grad)
        (x * 2).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [2, 2, 2])
    }

    func testWithNoGradRecordsNothing() {
        let x = Tensor([1, 2, 3]).requiringGrad()
        let y = withNoGrad { (x * x).exp().sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.node)
        // nested, and restored afterwards
        let z = withNoGrad { withNoGrad { softmax(x) } + x }
        XCTAssertFalse(z.requiresGrad)
        XCTAssertTrue((x * 2).requiresGrad, "recording resumes after withNoGrad")
        XCTAssertTrue(GradMode.isEnabled)
        // fused kernels respect it too
        withNoGrad {
            XCTAssertFalse(layerNorm(Tensor.ones([2, 4]).requiringGrad(), weight: nil, bias: nil).requiresGrad)
            XCTAssertFalse(matmul(x.reshaped([1, 3]), x.reshaped([3, 1])).requiresGrad)
            XCTAssertFalse(crossEntropy(x.reshaped([1, 3]), targets: [1]).requiresGrad)
        }
    }

    func testOpsOnConstantsRecordNothing() {
        let a = Tensor([1, 2]), b = Tensor([3, 4])
        XCTAssertFalse((a * b).requiresGrad)
        XCTAssertFalse(softmax(a).requiresGrad)
        XCTAssertFalse(a.requiresGrad)
        XCTAssertTrue((a * b.requiringGrad()).requiresGrad)
    }

    func testDetachedCutsTheGraph() {
        let x = Tensor([2, 3]).requiringGrad()
        let y = (x.detached() * x).sum()   // d/dx = x (the detached factor is a constant)
        y.backward()
        XCTAssertEqual(x.grad?.scalars, [2, 3])
        XCTAssertFalse(x.detached().requiresGrad)
        XCTAssertTrue(x.detached().storage === x.storage, "detached shares storage")
        // a detached intermediate: nothing flows back through it
        let w = Tensor([1, 1]).requiringGrad()
        let h = (w * 5).detached()
        XCTAssertFalse((h * 2).requiresGrad)
    }

    func testValueAndGrad() {
        let a = Tensor([1, 2, 3]), b = Tensor([4, 5, 6])
        let (value, grads) = valueAndGrad([a, b]) { x in (x[0] * x[1]).sum() + x[0].sum() }
        XCTAssertEqual(value.item, 4 + 10 + 18 + 6)
        XCTAssertFalse(value.requiresGrad)
        XCTAssertEqual(grads[0].scalars, [5, 6, 7])
        XCTAssertEqual(grads[1].scalars, [1, 2, 3])
        XCTAssertNil(a.node, "the inputs are not made leaves")
        // an input the function ignores gets zeros; it works inside withNoGrad too
        let (v2, g2) = withNoGrad { valueAndGrad([a, b]) { x in x[0].pow(2).sum() } }
        XCTAssertEqual(v2.item, 14)
        XCTAssertEqual(g2[0].scalars, [2, 4, 6])
        XCTAssertEqual(g2[1].scalars, [0, 0, 0])
    }

    func testDiamondGraphSumsBothPaths() {
        let x = Tensor([0.5, -1]).requiringGrad()
        let y = (x * x + x.exp()).sum()   // x feeds two branches
        y.backward()
        let g = x.grad!.scalars
        XCTAssertEqual(Double(g[0]), 1 + Foundation.exp(0.5), accuracy: 1e-6)
        XCTAssertEqual(Double(g[1]), -2 + Foundation.exp(-1), accuracy: 1e-6)
        // x + x, and a shared intermediate used three times
        let z = Tensor([1, 2]).requiringGrad()
        (z + z).sum().backward()
        XCTAssertEqual(z.grad?.scalars, [2, 2])
        let u = Tensor([1, 2]).requiringGrad()
        let m = u * 2
        (m * m + m).sum().backward()   // d/du = (2m + 1)·2
        XCTAssertEqual(u.grad?.scalars, [10, 18])
    }

    func testDeepChainDoesNotOverflowTheStack() {
        let x = Tensor([1, 2]).requiringGrad()
        var y = x
        for _ in 0..<5_000 { y = y + 1 }
        y.sum().backward()
        XCTAssertEqual(x.grad?.scalars, [1, 1])
        XCTAssertEqual(y.scalars, [5_001, 5_002])
    }

    func testVeryDeepChainBackwardAndRelease() {
        // 100,000 nodes: both backward() and releasing the graph must not recurse per node
        do {
            let x = Tensor(scalar: 0).requiringGrad()
            var y = x
            for _ in 0..<100_000 { y = y * 1 }
            y.backward()
            XCTAssertEqual(x.grad?.item, 1)
        }
    }

    func testBackwardWithSeed() {
        let x = Tensor([1, 2, 3, 4], shape: [2, 2]).requiringGrad()
        let y = x * x
        y.backward(Tensor([1, 0, 0, 2], shape: [2, 2]))
        XCTAssertEqual(x.grad?.scalars, [2, 0, 0, 16])
    }

    func testLeafGradientsAreOwned() {
        // y = a + b gives both leaves the same upstream gradient; each leaf must own its own copy so that
        // changing one (as clipping or an optimizer does in place) leaves the other alone
        let a = Tensor([1, 2]).requiringGrad(), b = Tensor([3, 4]).requiringGrad()
        (a + b).backward(Tensor([1, 1]))
        XCTAssertFalse(a.grad!.storage === b.grad!.storage, "two leaves share one gradient buffer")
        a.grad!.pointer[0] = 100
        XCTAssertEqual(b.grad?.scalars, [1, 1])
        // a seed handed to backward() is not taken over by the leaf either
        let seed = Tensor([5, 6])
        let c = Tensor([0, 0]).requiringGrad()
        c.reshaped([2]).backward(seed)
        c.grad!.pointer[0] = -1
        XCTAssertEqual(seed.scalars, [5, 6])
        // concat along axis 0 hands each input a view of the one upstream buffer
        let p = Tensor([1, 2]).requiringGrad(), q = Tensor([3]).requiringGrad()
        let up = Tensor([7, 8, 9])
        Tensor.concat([p, q], axis: 0).backward(up)
        p.grad!.pointer[0] = 0
        q.grad!.pointer[0] = 0
        XCTAssertEqual(up.scalars, [7, 8, 9])
    }

    func testGradientOfAViewLeaf() {
        let base = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let v = base.transposed().requiringGrad()   // a [3, 2] view leaf
        (v * Tensor([1, 10])).sum().backward()
        XCTAssertEqual(v.grad?.shape, [3, 2])
        XCTAssertEqual(v.grad?.scalars, [1, 10, 1, 10, 1, 10])
        XCTAssertNil(base.node)
    }

    func testIntermediateGradientsAreReleased() {
        let x = Tensor([1, 2]).requiringGrad()
        let h = x * 3
        (h * h).sum().backward()
        XCTAssertNil(h.grad, "only leaves keep their gradient")
        XCTAssertEqual(x.grad?.scalars, [18, 36])
    }

    func testGradModeIsTaskLocal() async {
        // a task that switches recording off does not switch it off for another
        let x = Tensor([1]).requiringGrad()
        async let off: Bool = withNoGrad { GradMode.isEnabled }
        async let on: Bool = GradMode.isEnabled
        let (a, b) = await (off, on)
        XCTAssertFalse(a)
        XCTAssertTrue(b)
        XCTAssertTrue((x * 2).requiresGrad)
    }
}
