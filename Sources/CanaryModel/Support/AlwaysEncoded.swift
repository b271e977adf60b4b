/// An optional field that the contract writes as `null` rather than leaving out
/// (docs/contract.md: "optional fields are written as null, never left out"). Synthesized
/// Codable skips nil optionals; wrapping them keeps the key, so a record type needs no
/// hand-written coding keys. A missing key still decodes as nil.
@propertyWrapper
public struct AlwaysEncoded<Value: Codable & Hashable & Sendable>: Codable, Hashable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// Synthesized decoders call this overload for wrapped fields: an absent key is nil, as
    /// for a plain optional.
    public func decode<V>(_ type: AlwaysEncoded<V>.Type, forKey key: Key) throws -> AlwaysEncoded<V> {
        try decodeIfPresent(type, forKey: key) ?? AlwaysEncoded(wrappedValue: nil)
    }
}
