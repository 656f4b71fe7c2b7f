import FeatureExtraction
import FeatureMemory
import Foundation
import Hummingbird

/// Turns whatever a handler threw into the API's error: client mistakes the engine or the
/// extractor found are 400, a full store 507, anything else 500 (with the message logged).
enum ErrorMapping {
    /// The API error for `error`.
    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return httpError(error)
        case let error as StoreError:
            return storeError(error)
        case let error as AudioError:
            return APIError(.badRequest, "invalid_audio", "the clip cannot be used: \(error)")
        default:
            return .internalError("\(error)")
        }
    }

    private static func httpError(_ error: HTTPError) -> APIError {
        let message = error.body ?? error.status.reasonPhrase
        switch error.status {
        case .contentTooLarge: return APIError(.contentTooLarge, "payload_too_large", "the request body is over the limit")
        case .notFound: return .notFound("no such route")
        case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", message)
        case .unauthorized: return APIError(.unauthorized, "unauthorized", message)
        default:
            let code = error.status.code >= 500 ? "internal" : "bad_request"
            return APIError(error.status, code, message)
        }
    }

    private static func storeError(_ error: StoreError) -> APIError {
        switch error {
        case .batchItem(let index, let inner):
            var mapped = storeError(inner)
            mapped.message = "points[\(index)]: \(mapped.message)"
            return mapped
        case .dimensionMismatch, .emptyVector, .nonFinite, .zeroVector, .vectorTooLarge, .invalidLabel, .invalidArgument:
            return .invalidField("\(error)")
        case .unknownID:
            return .notFound("\(error)")
        case .mapSizeCapReached, .diskFull:
            return APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "store_full", "\(error)")
        default:
            return .internalError("\(error)")
        }
    }
}
