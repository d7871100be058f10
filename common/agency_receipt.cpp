#include "common/agency_receipt.h"

#include "common/bet_digest.h"

#include <QFile>
#include <QSaveFile>

namespace lottery {

namespace {

constexpr char kMagic[] = "lottery-receipt 1";

bool parseUnsigned(const QByteArray &text, quint64 max, quint64 *value)
{
    bool ok = false;
    *value = text.toULongLong(&ok);
    return ok && !text.startsWith('+') && *value <= max;
}

} // namespace

QByteArray AgencyReceipt::toText() const
{
    return QByteArray(kMagic) + "\nagency " + QByteArray::number(agency) + "\nsequence "
        + QByteArray::number(sequence) + "\nstored_bets " + QByteArray::number(storedBets)
        + "\nsha256 " + digestHex(digest).toLatin1() + "\n";
}

std::optional<AgencyReceipt> AgencyReceipt::parse(const QByteArray &text, QString *error)
{
    AgencyReceipt receipt;
    bool magic = false;
    bool seen[4] = {false, false, false, false};
    const QList<QByteArray> lines = text.split('\n');
    for (int i = 0; i < lines.size(); ++i) {
        QByteArray line = lines.at(i);
        if (line.endsWith('\r'))
            line.chop(1);
        line = line.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const auto fail = [&](const QString &why) {
            *error = QStringLiteral("line %1: %2").arg(i + 1).arg(why);
            return std::nullopt;
        };
        if (!magic) {
            if (line != kMagic)
                return fail(QStringLiteral("not a receipt (the first line must be '%1')")
                                .arg(QLatin1String(kMagic)));
            magic = true;
            continue;
        }
        const int space = line.indexOf(' ');
        const QByteArray key = line.left(space);
        const QByteArray value = space < 0 ? QByteArray() : line.mid(space + 1).trimmed();
        quint64 number = 0;
        if (key == "agency") {
            if (!parseUnsigned(value, 0xFFFFFFFFu, &number) || number == 0)
                return fail(QStringLiteral("agency must be a number from 1"));
            receipt.agency = static_cast<quint32>(number);
            seen[0] = true;
        } else if (key == "sequence") {
            if (!parseUnsigned(value, ~quint64(0), &number))
                return fail(QStringLiteral("sequence must be a number"));
            receipt.sequence = number;
            seen[1] = true;
        } else if (key == "stored_bets") {
            if (!parseUnsigned(value, ~quint64(0), &number))
                return fail(QStringLiteral("stored_bets must be a number"));
            receipt.storedBets = number;
            seen[2] = true;
        } else if (key == "sha256") {
            if (!parseDigestHex(QString::fromLatin1(value), &receipt.digest))
                return fail(QStringLiteral("sha256 must be 64 hex digits"));
            seen[3] = true;
        } else {
            return fail(QStringLiteral("unknown key '%1'").arg(QString::fromUtf8(key)));
        }
    }
    if (!magic) {
        *error = QStringLiteral("empty: not a receipt");
        return std::nullopt;
    }
    const char *names[] = {"agency", "sequence", "stored_bets", "sha256"};
    for (int k = 0; k < 4; ++k) {
        if (!seen[k]) {
            *error = QStringLiteral("'%1' is missing").arg(QLatin1String(names[k]));
            return std::nullopt;
        }
    }
    return receipt;
}

bool AgencyReceipt::writeFile(const QString &path, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(toText()) < 0 || !file.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

std::optional<AgencyReceipt> AgencyReceipt::readFile(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    QString why;
    auto receipt = parse(file.read(64 * 1024), &why);
    if (!receipt)
        *error = QStringLiteral("%1: %2").arg(path, why);
    return receipt;
}

} // namespace lottery
