import Testing
@testable import QKQuantization

@Test func int4Range() {
    #expect(QuantType.int4.qmin == -8 && QuantType.int4.qmax == 7)
    #expect(QuantType.uint16.qmax == 65535)
}
