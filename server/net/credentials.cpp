#include "server/net/credentials.h"

#include <QCryptographicHash>
#include <QFile>
#include <QPasswordDigestor>
#include <QRandomGenerator>

namespace lottery::server {

namespace credentials {

QByteArray derive(const QByteArray &token, const QByteArray &salt, int iterations)
{
    return QPasswordDigestor::deriveKeyPbkdf2(
        QCryptographicHash::Sha256, token, salt, iterations, kHashBytes);
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    // volatile: the compiler may not turn the loop into an early-exit memcmp.
    volatile unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return difference == 0;
}

bool verify(const CredentialRecord &record, const QByteArray &token)
{
    const QByteArray digest = derive(token, record.salt, record.iterations);
    return !digest.isEmpty() && constantTimeEquals(digest, record.hash);
}

CredentialRecord makeRecord(quint32 agency, const QByteArray &token, int iterations)
{
    CredentialRecord record;
    record.agency = agency;
    record.iterations = iterations;
    record.salt.resize(kSaltBytes);
    QRandomGenerator::system()->generate(record.salt.begin(), record.salt.end());
    record.hash = derive(token, record.salt, iterations);
    return record;
}

QString formatRecord(const CredentialRecord &record)
{
    return QStringLiteral("%1:%2:%3:%4:%5")
        .arg(record.agency)
        .arg(QLatin1String(kScheme))
        .arg(record.iterations)
        .arg(QString::fromLatin1(record.salt.toHex()), QString::fromLatin1(record.hash.toHex()));
}

namespace {

// Strict lower- or upper-case hex of an exact byte count (fromHex() skips bad characters).
bool parseHex(const QString &text, int bytes, QByteArray *out)
{
    if (text.size() != 2 * bytes)
        return false;
    for (const QChar c : text) {
        if (!((c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F')))
            return false;
    }
    *out = QByteArray::fromHex(text.toLatin1());
    return true;
}

} // namespace

bool parseRecord(const QString &line, CredentialRecord *record, QString *error)
{
    const QStringList fields = line.trimmed().split(QLatin1Char(':'));
    if (fields.size() != 5) {
        *error = QStringLiteral("expected N:%1:ITERATIONS:SALT_HEX:HASH_HEX, got %2 fields")
                     .arg(QLatin1String(kScheme))
                     .arg(fields.size());
        return false;
    }
    bool ok = false;
    const qulonglong agency = fields.at(0).toULongLong(&ok);
    if (!ok || agency < 1 || agency > 0xFFFFFFFFULL) {
        *error
            = QStringLiteral("agency '%1' is not a number from 1 to 4294967295").arg(fields.at(0));
        return false;
    }
    if (fields.at(1) != QLatin1String(kScheme)) {
        *error = QStringLiteral("scheme '%1' is not %2").arg(fields.at(1), QLatin1String(kScheme));
        return false;
    }
    const int iterations = fields.at(2).toInt(&ok);
    if (!ok || iterations < kMinIterations || iterations > kMaxIterations) {
        *error = QStringLiteral("iterations '%1' are not a number from %2 to %3")
                     .arg(fields.at(2))
                     .arg(kMinIterations)
                     .arg(kMaxIterations);
        return false;
    }
    CredentialRecord parsed;
    parsed.agency = static_cast<quint32>(agency);
    parsed.iterations = iterations;
    if (!parseHex(fields.at(3), kSaltBytes, &parsed.salt)) {
        *error = QStringLiteral("salt is not %1 hex digits").arg(2 * kSaltBytes);
        return false;
    }
    if (!parseHex(fields.at(4), kHashBytes, &parsed.hash)) {
        *error = QStringLiteral("hash is not %1 hex digits").arg(2 * kHashBytes);
        return false;
    }
    *record = parsed;
    return true;
}

} // namespace credentials

bool CredentialStore::load(const QString &path)
{
    m_records.clear();
    m_error.clear();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        m_error = QStringLiteral("credentials file %1: %2").arg(path, file.errorString());
        return false;
    }
    int lineNumber = 0;
    while (!file.atEnd()) {
        ++lineNumber;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        CredentialRecord record;
        QString problem;
        if (!credentials::parseRecord(line, &record, &problem)) {
            m_error = QStringLiteral("credentials file %1, line %2: %3")
                          .arg(path)
                          .arg(lineNumber)
                          .arg(problem);
            return false;
        }
        if (m_records.contains(record.agency)) {
            m_error = QStringLiteral("credentials file %1, line %2: agency %3 appears twice")
                          .arg(path)
                          .arg(lineNumber)
                          .arg(record.agency);
            return false;
        }
        m_records.insert(record.agency, record);
    }
    if (m_records.isEmpty()) {
        m_error = QStringLiteral("credentials file %1 holds no agency").arg(path);
        return false;
    }
    // The decoy costs what a real record costs: the largest iteration count in the file.
    int iterations = credentials::kMinIterations;
    for (const CredentialRecord &record : std::as_const(m_records))
        iterations = qMax(iterations, record.iterations);
    m_decoy = credentials::makeRecord(0, QByteArrayLiteral("decoy"), credentials::kMinIterations);
    m_decoy.iterations = iterations;
    return true;
}

bool CredentialStore::verify(quint32 agency, const QByteArray &token) const
{
    const auto found = m_records.constFind(agency);
    if (found == m_records.constEnd()) {
        // The same work as a real check; the decoy's hash was made with other iterations, so
        // it never matches.
        credentials::verify(m_decoy, token);
        return false;
    }
    return credentials::verify(*found, token);
}

} // namespace lottery::server
