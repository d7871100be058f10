#include "lottery/agency/session_logger.h"

#include "common/bet_digest.h"
#include "common/log.h"
#include "lottery/agency/agency_session.h"

#include <QDateTime>

namespace lottery::agency {

namespace {

// The step that failed, so a failure reads like the success line it replaces.
QStringView failureAction(AgencySession::FailureKind kind)
{
    using Kind = AgencySession::FailureKind;
    switch (kind) {
    case Kind::InvalidOptions: return u"config";
    case Kind::FileError:
    case Kind::WrongFile: return u"lectura_apuestas";
    case Kind::ConnectTimeout: return u"conexion";
    case Kind::BatchRejected: return u"apuesta_enviada";
    case Kind::TlsError: return u"tls";
    case Kind::StoredBetsDiffer: return u"verificacion_retoma";
    case Kind::ReceiptMismatch: return u"recibo";
    case Kind::SealMismatch: return u"sorteo_sellado";
    case Kind::SuspiciousFile: return u"archivo_sospechoso";
    case Kind::None:
    case Kind::ServerError:
    case Kind::ProtocolViolation:
    case Kind::ConnectionLost:
    case Kind::ResponseTimeout:
    case Kind::VersionMismatch:
    case Kind::AcknowledgedBetsLost:
    case Kind::ResyncLimit: break;
    }
    return u"sesion";
}

} // namespace

SessionLogger::SessionLogger(AgencySession *session, QObject *parent) : QObject(parent)
{
    connect(session, &AgencySession::protocolAgreed, this, [](quint16 version, quint16 offered) {
        auto line = LogLine(LogLevel::Info, u"protocolo", LogResult::Success);
        line.field(u"version", version).field(u"ofrecida", offered);
        if (version < protocol::kProtocolVersion2) // an older server: the old resume rule
            line.field(u"recibos", "no").field(u"retoma", "por_cantidad");
    });
    connect(session, &AgencySession::sealVerified, this, [](const protocol::Sealed &sealed) {
        LogLine(LogLevel::Info, u"sorteo_sellado", LogResult::Success)
            .field(u"apuestas", sealed.agencyBets)
            .field(u"apuestas_total", sealed.totalBets)
            .field(u"sello", digestHex(sealed.root))
            .field(u"cierre",
                QDateTime::fromMSecsSinceEpoch(qint64(sealed.closedAtMs), Qt::UTC)
                    .toString(Qt::ISODateWithMs));
    });
    connect(session, &AgencySession::storedBetsVerified, this, [](quint64 storedBets) {
        LogLine(LogLevel::Info, u"verificacion_retoma", LogResult::Success)
            .field(u"apuestas", storedBets);
    });
    connect(session, &AgencySession::listingStoredBets, this, [](quint64 storedBets) {
        LogLine(LogLevel::Info, u"verificacion_retoma", LogResult::InProgress)
            .field(u"apuestas", storedBets)
            .field(u"modo", u"por_contenido")
            .field(u"motivo", u"the file does not begin with the stored bets: listing them");
    });
    connect(session, &AgencySession::storedBetsMatched, this,
        [](quint64 storedBets, quint64 rowsToSend) {
            LogLine(LogLevel::Info, u"verificacion_retoma", LogResult::Success)
                .field(u"apuestas", storedBets)
                .field(u"modo", u"por_contenido")
                .field(u"filas_a_enviar", rowsToSend);
        });
    connect(session, &AgencySession::connectRetry, this,
        [](int attempt, const QString &error, int delayMs) {
            LogLine(LogLevel::Info, u"conexion", LogResult::InProgress)
                .field(u"intento", attempt)
                .field(u"error", error)
                .field(u"reintento_ms", delayMs);
        });
    connect(session, &AgencySession::reconnecting, this,
        [session](const QString &reason, int timeoutMs) {
            LogLine(LogLevel::Warning, u"reconexion", LogResult::InProgress)
                .field(u"server", session->currentServer().toString())
                .field(u"error", reason)
                .field(u"apuestas_confirmadas", static_cast<long long>(session->betsAcknowledged()))
                .field(u"limite_ms", timeoutMs);
        });
    connect(session, &AgencySession::welcomed, this,
        [session](quint64 lastSequence, quint64 storedBets) {
            LogLine(LogLevel::Info, u"conexion", LogResult::Success)
                .field(u"server", session->currentServer().toString())
                .field(u"intentos", session->connectAttempts())
                .field(u"ultima_secuencia", static_cast<unsigned long long>(lastSequence))
                .field(u"apuestas_guardadas", static_cast<unsigned long long>(storedBets));
        });
    connect(session, &AgencySession::invalidRow, this, [](qint64 line, const QString &reason) {
        LogLine(LogLevel::Warning, u"apuesta_invalida", LogResult::Fail)
            .field(u"linea", static_cast<long long>(line))
            .field(u"error", reason);
    });
    connect(session, &AgencySession::batchAcknowledged, this,
        [](quint64 sequence, int count, qint64 total, bool duplicate) {
            LogLine line(LogLevel::Debug, u"apuesta_enviada", LogResult::Success);
            line.field(u"cantidad", count)
                .field(u"secuencia", static_cast<unsigned long long>(sequence))
                .field(u"total", static_cast<long long>(total));
            if (duplicate)
                line.field(u"duplicado", u"si");
        });
    connect(session, &AgencySession::uploadCompleted, this, [session] {
        LogLine(LogLevel::Info, u"envio_apuestas", LogResult::Success)
            .field(u"apuestas", static_cast<long long>(session->betsAcknowledged()))
            .field(u"lotes", static_cast<long long>(session->batchesAcknowledged()))
            .field(u"omitidas_por_reanudacion", static_cast<long long>(session->rowsSkipped()))
            .field(u"invalidas", static_cast<long long>(session->invalidRows()));
    });
    connect(session, &AgencySession::winnersReceived, this, [](const QStringList &documents) {
        LogLine(LogLevel::Info, u"consulta_ganadores", LogResult::Success)
            .field(u"cant_ganadores", static_cast<int>(documents.size()));
        for (const QString &document : documents)
            LogLine(LogLevel::Debug, u"ganador", LogResult::Success).field(u"documento", document);
    });
    connect(session, &AgencySession::failed, this, [](const UploadError &error) {
        LogLine line(LogLevel::Error, failureAction(error.kind), LogResult::Fail);
        if (error.code)
            line.field(u"codigo", protocol::toString(*error.code));
        if (!error.server.isEmpty())
            line.field(u"server", error.server);
        line.field(u"error", error.message);
    });
}

} // namespace lottery::agency
