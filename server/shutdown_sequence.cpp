#include "server/shutdown_sequence.h"

#include "common/log.h"

namespace lottery::server {

ShutdownSequence::ShutdownSequence(Steps steps, QObject *parent)
    : QObject(parent), m_steps(std::move(steps))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_phase == Phase::Draining)
            finishDraining();
        else if (m_phase == Phase::ClosingSockets)
            finishClosingSockets();
    });
}

void ShutdownSequence::start()
{
    if (m_phase != Phase::Running)
        return;
    m_phase = Phase::Draining;
    LOTTERY_LOG_PROGRESS("shutdown").field(u"step", "stop_listening");
    m_steps.stopIntake();
    const int tasks = m_steps.tasksInFlight();
    LOTTERY_LOG_PROGRESS("shutdown")
        .field(u"step", "stop_reading")
        .field(u"sessions", m_steps.sessions())
        .field(u"batches_in_flight", tasks);
    if (tasks == 0) {
        finishDraining();
        return;
    }
    m_timer.start(m_deadlines.drainMs);
}

void ShutdownSequence::tasksDrained()
{
    if (m_phase == Phase::Draining)
        finishDraining();
}

void ShutdownSequence::sessionsClosed()
{
    if (m_phase == Phase::ClosingSockets)
        finishClosingSockets();
}

void ShutdownSequence::finishDraining()
{
    if (m_phase != Phase::Draining)
        return;
    m_phase = Phase::ClosingSockets;
    m_timer.stop();
    if (const int left = m_steps.tasksInFlight(); left > 0) {
        // They may still be stored; they will not be acknowledged, so the agency resends.
        LOTTERY_LOG_PROGRESS("shutdown")
            .field(u"step", "drain_timeout")
            .field(u"unacknowledged", left);
    }
    LOTTERY_LOG_PROGRESS("shutdown")
        .field(u"step", "close_sockets")
        .field(u"sessions", m_steps.sessions());
    m_steps.closeSessions();
    if (m_steps.sessions() == 0) {
        finishClosingSockets();
        return;
    }
    m_timer.start(m_deadlines.closeMs);
}

void ShutdownSequence::finishClosingSockets()
{
    if (m_phase != Phase::ClosingSockets)
        return;
    m_phase = Phase::Done;
    m_timer.stop();
    m_steps.finish();
}

} // namespace lottery::server
