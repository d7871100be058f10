// ShutdownSequence (server/shutdown_sequence.h): the three phases of the orderly stop, each
// ended by its count reaching zero or by its deadline, in order, each step once.
#include "server/shutdown_sequence.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace lottery::server;
using Phase = ShutdownSequence::Phase;

class TestShutdownSequence : public QObject
{
    Q_OBJECT
private slots:
    void nothingInFlightFinishesAtOnce();
    void waitsForTasksThenSessions();
    void deadlinesMoveOnWithoutThem();
    void startsOnce();

private:
    std::unique_ptr<ShutdownSequence> make(int drainMs = 60000, int closeMs = 60000)
    {
        ShutdownSequence::Steps steps;
        steps.stopIntake = [this] { m_log += "stop;"; };
        steps.tasksInFlight = [this] { return m_tasks; };
        steps.closeSessions = [this] { m_log += "close;"; };
        steps.sessions = [this] { return m_sessions; };
        steps.finish = [this] { m_log += "finish;"; };
        auto sequence = std::make_unique<ShutdownSequence>(steps);
        sequence->setDeadlines({drainMs, closeMs});
        return sequence;
    }
    QString m_log;
    int m_tasks = 0;
    int m_sessions = 0;
};

void TestShutdownSequence::nothingInFlightFinishesAtOnce()
{
    m_log.clear();
    m_tasks = 0;
    m_sessions = 0;
    auto sequence = make();
    QVERIFY(sequence->isRunning());
    sequence->start();
    QCOMPARE(m_log, QStringLiteral("stop;close;finish;"));
    QCOMPARE(sequence->phase(), Phase::Done);
}

void TestShutdownSequence::waitsForTasksThenSessions()
{
    m_log.clear();
    m_tasks = 2;
    m_sessions = 3;
    auto sequence = make();
    sequence->start();
    QCOMPARE(sequence->phase(), Phase::Draining);
    QCOMPARE(m_log, QStringLiteral("stop;"));
    sequence->sessionsClosed(); // not the phase that waits for them: nothing happens
    QCOMPARE(sequence->phase(), Phase::Draining);
    m_tasks = 0;
    sequence->tasksDrained();
    QCOMPARE(sequence->phase(), Phase::ClosingSockets);
    QCOMPARE(m_log, QStringLiteral("stop;close;"));
    m_sessions = 0;
    sequence->sessionsClosed();
    QCOMPARE(sequence->phase(), Phase::Done);
    QCOMPARE(m_log, QStringLiteral("stop;close;finish;"));
    sequence->tasksDrained(); // late reports change nothing
    sequence->sessionsClosed();
    QCOMPARE(m_log, QStringLiteral("stop;close;finish;"));
}

void TestShutdownSequence::deadlinesMoveOnWithoutThem()
{
    m_log.clear();
    m_tasks = 1; // never drained
    m_sessions = 1; // never closed
    auto sequence = make(50, 50);
    sequence->start();
    QCOMPARE(sequence->phase(), Phase::Draining);
    QTRY_COMPARE(sequence->phase(), Phase::Done);
    QCOMPARE(m_log, QStringLiteral("stop;close;finish;"));
}

void TestShutdownSequence::startsOnce()
{
    m_log.clear();
    m_tasks = 1;
    m_sessions = 0;
    auto sequence = make();
    sequence->start();
    sequence->start();
    QCOMPARE(m_log, QStringLiteral("stop;"));
    QVERIFY(!sequence->isRunning());
}

QTEST_GUILESS_MAIN(TestShutdownSequence)
#include "tst_shutdown_sequence.moc"
