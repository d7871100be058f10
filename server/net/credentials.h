// Per-agency credentials: the server keeps, for each agency number, a salted PBKDF2-HMAC-SHA256
// digest of that agency's secret token, never the token itself. One line per agency:
//
//     N:pbkdf2-sha256:ITERATIONS:SALT_HEX:HASH_HEX
//
// Blank lines and lines starting with '#' are ignored. docs/SECURITY.md describes the scheme.
// The same code makes the file (tools/lottery-credentials) and checks a HELLO (the server).
#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace lottery::server {

struct CredentialRecord {
    quint32 agency = 0;
    int iterations = 0;
    QByteArray salt; // raw bytes
    QByteArray hash; // raw bytes: PBKDF2-HMAC-SHA256(token, salt, iterations)
};

namespace credentials {

// What new records use. 100,000 iterations cost ~tens of ms per HELLO (measured in
// tst_security), which the server pays in a worker, never in the main thread.
inline constexpr int kDefaultIterations = 100000;
inline constexpr int kSaltBytes = 16;
inline constexpr int kHashBytes = 32; // one SHA-256 block of output
// Bounds a record may carry: fewer iterations are too weak to accept, more would let a
// tampered file make every HELLO take minutes.
inline constexpr int kMinIterations = 1000;
inline constexpr int kMaxIterations = 10000000;
inline constexpr char kScheme[] = "pbkdf2-sha256";

QByteArray derive(const QByteArray &token, const QByteArray &salt, int iterations);

// Compares in time that depends only on the lengths, never on where the bytes differ.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

// Derives from `token` with the record's salt and iterations and compares the digests.
bool verify(const CredentialRecord &record, const QByteArray &token);

// A new record with a fresh random salt (from the system's CSPRNG).
CredentialRecord makeRecord(
    quint32 agency, const QByteArray &token, int iterations = kDefaultIterations);

QString formatRecord(const CredentialRecord &record);

// Parses one non-comment line; false with `error` naming the field that is wrong.
bool parseRecord(const QString &line, CredentialRecord *record, QString *error);

} // namespace credentials

// The credentials file, loaded once at startup. Read-only afterwards, so workers may call
// verify() concurrently without locking.
class CredentialStore
{
public:
    // False with errorString() (file, line number, problem) on any unreadable or bad line,
    // a duplicate agency, or a file with no record at all.
    bool load(const QString &path);
    QString errorString() const { return m_error; }

    int size() const { return static_cast<int>(m_records.size()); }
    bool contains(quint32 agency) const { return m_records.contains(agency); }

    // True when `token` is the token of `agency`. An agency with no record costs the same
    // derivation as one with a record, so timing does not tell which agencies exist.
    bool verify(quint32 agency, const QByteArray &token) const;

private:
    QHash<quint32, CredentialRecord> m_records;
    CredentialRecord m_decoy; // used for agencies without a record
    QString m_error;
};

} // namespace lottery::server
