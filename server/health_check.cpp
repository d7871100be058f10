#include "server/health_check.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrl>

#include <cstdio>

namespace lottery::server {

namespace {

// A probe that hangs is worse than one that fails: Docker's own timeout is 3 s.
constexpr int kProbeTimeoutMs = 2500;

} // namespace

QString healthCheckHost(const ServerConfig &config)
{
    const QHostAddress address(config.adminIp);
    if (address == QHostAddress::AnyIPv6)
        return QStringLiteral("::1");
    if (address == QHostAddress::AnyIPv4 || address == QHostAddress::Any)
        return QStringLiteral("127.0.0.1");
    return config.adminIp;
}

bool healthCheckUsesTls(const ServerConfig &config)
{
    return config.tlsEnabled() && !QHostAddress(config.adminIp).isLoopback();
}

int runHealthCheck(const ServerConfig &config)
{
    if (!config.adminEnabled() || config.adminPort == 0) {
        std::fputs("health-check: SERVER_ADMIN_PORT is not set to a fixed port\n", stderr);
        return 1;
    }
    QUrl url;
    url.setScheme(healthCheckUsesTls(config) ? QStringLiteral("https") : QStringLiteral("http"));
    url.setHost(healthCheckHost(config));
    url.setPort(config.adminPort);
    url.setPath(QStringLiteral("/readyz"));

    QNetworkAccessManager manager;
    QNetworkRequest request(url);
    request.setTransferTimeout(kProbeTimeoutMs);
    QNetworkReply *reply = manager.get(request);
    // Our own server on this host: its certificate names the service, not the loopback address.
    QObject::connect(reply, &QNetworkReply::sslErrors, reply,
        [reply](const QList<QSslError> &) { reply->ignoreSslErrors(); });
    QObject::connect(reply, &QNetworkReply::finished, qApp, &QCoreApplication::quit);
    QCoreApplication::exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll().trimmed();
    std::fprintf(stdout, "health-check: %s -> %d %s%s\n", qPrintable(url.toString()), status,
        body.constData(),
        reply->error() == QNetworkReply::NoError || status != 0
            ? ""
            : qPrintable(QStringLiteral(" (%1)").arg(reply->errorString())));
    reply->deleteLater();
    return status == 200 ? 0 : 1;
}

} // namespace lottery::server
