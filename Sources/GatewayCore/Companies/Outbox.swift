import Foundation
import PostgresNIO

/// Mail for a future mailer, queued in a company's `outbox`. Bodies carry one-time links,
/// so they are sealed by the company's key like any other secret.
struct Outbox: Sendable {
    let database: Database
    let vault: Vault

    /// Queues a message inside the caller's tenant transaction, so it is sent only if the change it tells of commits.
    func queue(to recipient: EmailAddress, subject: String, body: String, companyID: UUID, on connection: PostgresConnection) async throws {
        let messageID = UUID()
        let sealedBody = try await vault.seal(
            Data(body.utf8), at: SecretLocation(table: "outbox", rowID: messageID.uuidString, column: "sealed_body"),
            companyID: companyID, on: connection)
        try await connection.rows(
            """
            INSERT INTO outbox (company_id, id, recipient, subject, sealed_body)
            VALUES (\(companyID), \(messageID), \(recipient.value), \(subject), \(sealedBody))
            """, logger: database.logger)
    }
}
