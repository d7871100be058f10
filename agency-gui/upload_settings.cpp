#include "upload_settings.h"

#include <QCoreApplication>
#include <QSettings>

namespace lottery::gui {

namespace {

constexpr int kMaxBatchSize = 0xFFFF; // a BATCH carries a u16 count

} // namespace

UploadSettings UploadSettings::load(const QSettings &settings)
{
    UploadSettings s;
    s.host = settings.value(QStringLiteral("server/host"), s.host).toString();
    const uint port = settings.value(QStringLiteral("server/port"), s.port).toUInt();
    if (port >= 1 && port <= 65535)
        s.port = static_cast<quint16>(port);
    const uint agency = settings.value(QStringLiteral("agency/number"), s.agency).toUInt();
    if (agency >= 1)
        s.agency = agency;
    s.dataFile = settings.value(QStringLiteral("agency/file")).toString();
    const int batch = settings.value(QStringLiteral("upload/batchSize"), s.batchSize).toInt();
    if (batch >= 1 && batch <= kMaxBatchSize)
        s.batchSize = batch;
    s.caFile = settings.value(QStringLiteral("security/caFile")).toString();
    s.tokenFile = settings.value(QStringLiteral("security/tokenFile")).toString();
    return s;
}

void UploadSettings::save(QSettings &settings) const
{
    settings.setValue(QStringLiteral("server/host"), host);
    settings.setValue(QStringLiteral("server/port"), port);
    settings.setValue(QStringLiteral("agency/number"), agency);
    settings.setValue(QStringLiteral("agency/file"), dataFile);
    settings.setValue(QStringLiteral("upload/batchSize"), batchSize);
    settings.setValue(QStringLiteral("security/caFile"), caFile);
    settings.setValue(QStringLiteral("security/tokenFile"), tokenFile);
    settings.sync();
}

std::optional<ServerAddress> parseServerAddress(const QString &text, QString *error)
{
    auto failWith = [error, &text](const QString &why) -> std::optional<ServerAddress> {
        if (error)
            *error = QCoreApplication::translate("UploadSettings", "bad server address '%1': %2")
                         .arg(text, why);
        return std::nullopt;
    };
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return failWith(QCoreApplication::translate("UploadSettings", "expected HOST:PORT"));
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    else if (host.contains(QLatin1Char(':')))
        return failWith(QCoreApplication::translate(
            "UploadSettings", "write an IPv6 address in brackets, [::1]:PORT"));
    if (host.isEmpty())
        return failWith(QCoreApplication::translate("UploadSettings", "the host is empty"));
    bool ok = false;
    const uint port = text.mid(colon + 1).toUInt(&ok);
    if (!ok || port < 1 || port > 65535)
        return failWith(
            QCoreApplication::translate("UploadSettings", "the port must be a number in 1..65535"));
    return ServerAddress {host, static_cast<quint16>(port)};
}

} // namespace lottery::gui
