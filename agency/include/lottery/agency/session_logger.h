// Writes an AgencySession's events as log lines in the project's convention (common/log.h), so the
// CLI and the GUI log the same way:
//   action: conexion | result: in_progress | intento: N | error: ...
//   action: apuesta_enviada | result: success | cantidad: N | secuencia: S
//   action: apuesta_invalida | result: fail | linea: N | error: <reason>
//   action: consulta_ganadores | result: success | cant_ganadores: N
//   action: ganador | result: success | documento: D            (DEBUG)
#pragma once

#include <QObject>

namespace lottery::agency {

class AgencySession;

class SessionLogger : public QObject
{
    Q_OBJECT
public:
    // Logs the session's signals for as long as both objects live.
    explicit SessionLogger(AgencySession *session, QObject *parent = nullptr);
};

} // namespace lottery::agency
