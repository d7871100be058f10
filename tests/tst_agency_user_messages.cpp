// The agency library's messages to a person, shared by agency-gui and agency-cli: every reason
// the real file reader gives for an invalid row has its English and Spanish sentence (from the
// library's own catalog, lottery_agency_es_AR.qm in its resources), every way an upload fails
// has a title and an explanation in both languages, and a duration reads as a clock.
#include "support/invalid_rows.h"

#include "common/translations.h"
#include "lottery/agency/bet_file_reader.h"
#include "lottery/agency/duration_text.h"
#include "lottery/agency/user_messages.h"

#include <QCoreApplication>
#include <QMetaEnum>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>

using namespace lottery;
using namespace lottery::agency;
using namespace lottery::testing;

namespace {

void removeTranslators()
{
    for (QTranslator *translator : qApp->findChildren<QTranslator *>()) {
        QCoreApplication::removeTranslator(translator);
        delete translator;
    }
}

} // namespace

class TestAgencyUserMessages : public QObject
{
    Q_OBJECT

private slots:
    void cleanup() { removeTranslators(); }
    void readerGivesEveryReason();
    void invalidRowInEachLanguage_data();
    void invalidRowInEachLanguage();
    void unknownReasonStaysAsItIs();
    void everyFailureHasItsMessage_data();
    void everyFailureHasItsMessage();
    void missingStoredBetsAreNamed();
    void duration_data();
    void duration();
    void detailInEachLanguage_data();
    void detailInEachLanguage();
    void unreadableFileSaysWhy();
    void retryOnlyWhereItMayHelp_data();
    void retryOnlyWhereItMayHelp();
    void disabledAgencyIsNamed();
};

// The table of tests/support/invalid_rows.h is what the reader really says, row by row: a rule
// whose wording changes, or a new one, shows here first.
void TestAgencyUserMessages::readerGivesEveryReason()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("rows.csv"));
    const QList<InvalidRowCase> cases = invalidRowCases();
    QVERIFY(writeInvalidRowsFile(path, cases));
    BetFileReader reader;
    reader.setToday(QDate(2024, 6, 1));
    QVERIFY2(reader.open(path), qPrintable(reader.errorString()));
    QStringList reasons;
    BetRow row;
    while (reader.readNext(row)) {
        if (!row.bet)
            reasons << row.error;
    }
    QStringList expected;
    for (const InvalidRowCase &c : cases)
        expected << c.reason;
    QCOMPARE(reasons, expected);
}

void TestAgencyUserMessages::invalidRowInEachLanguage_data()
{
    QTest::addColumn<QString>("reason");
    QTest::addColumn<QString>("english");
    QTest::addColumn<QString>("spanish");
    for (const InvalidRowCase &c : invalidRowCases())
        QTest::newRow(c.name) << c.reason << c.english << c.spanish;
}

void TestAgencyUserMessages::invalidRowInEachLanguage()
{
    QFETCH(QString, reason);
    QFETCH(QString, english);
    QFETCH(QString, spanish);
    QCOMPARE(UserMessages::forInvalidRow(reason), english);
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    QCOMPARE(UserMessages::forInvalidRow(reason), spanish);
}

void TestAgencyUserMessages::unknownReasonStaysAsItIs()
{
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    QCOMPARE(UserMessages::forInvalidRow(QStringLiteral("something new")),
        QStringLiteral("something new"));
    QCOMPARE(UserMessages::forInvalidRow(QStringLiteral("first_name is green")),
        QStringLiteral("first_name is green"));
}

void TestAgencyUserMessages::everyFailureHasItsMessage_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("code"); // 0: none
    const QMetaEnum kinds = QMetaEnum::fromType<UploadError::Kind>();
    for (int i = 0; i < kinds.keyCount(); ++i) {
        const auto kind = static_cast<UploadError::Kind>(kinds.value(i));
        if (kind != UploadError::Kind::None)
            QTest::newRow(kinds.key(i)) << kinds.value(i) << 0;
    }
    for (int code = 1; code <= 19; ++code)
        QTest::newRow(protocol::toString(static_cast<protocol::ErrorCode>(code)))
            << static_cast<int>(UploadError::Kind::ServerError) << code;
}

void TestAgencyUserMessages::everyFailureHasItsMessage()
{
    QFETCH(int, kind);
    QFETCH(int, code);
    UploadError error;
    error.kind = static_cast<UploadError::Kind>(kind);
    if (code != 0)
        error.code = static_cast<protocol::ErrorCode>(code);
    const UserMessage english = UserMessages::forError(error);
    QVERIFY(!english.title.isEmpty());
    QVERIFY(!english.explanation.isEmpty());
    QVERIFY(english.title != QLatin1String("Upload failed")); // the fallback of no kind
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    const UserMessage spanish = UserMessages::forError(error);
    QVERIFY2(spanish.title != english.title, qPrintable(english.title));
    QVERIFY2(spanish.explanation != english.explanation, qPrintable(english.explanation));
}

// Stored bets the file lacks (a resume by content): the clerk is told which, in Spanish, with the
// row to put back and where it was; past kMaxMissingDescribed they are counted.
void TestAgencyUserMessages::missingStoredBetsAreNamed()
{
    UploadError error;
    error.kind = UploadError::Kind::StoredBetsDiffer;
    error.missingStoredCount = 12;
    error.missingStoredBets.append(
        MissingStoredBet {99, QStringLiteral("Ana"), QStringLiteral("P\u00e9rez"),
            QStringLiteral("30904465"), QStringLiteral("1999-03-17"), 7574, 100});
    error.missingStoredBets.append(MissingStoredBet {0, QStringLiteral("Luis"),
        QStringLiteral("Paz, \"Jr\""), QStringLiteral("1"), "1980-01-01", 3, 0});
    error.storedBets = 40;
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    const UserMessage message = UserMessages::forError(error);
    QCOMPARE(message.title,
        QStringLiteral("A este archivo le faltan apuestas que el servidor ya guard\u00f3"));
    const QStringList lines = message.explanation.split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 4);
    QVERIFY2(lines[0].startsWith(
                 QStringLiteral("El servidor ya guard\u00f3 12 apuestas de esta agencia")),
        qPrintable(lines[0]));
    QVERIFY(lines[0].contains(QStringLiteral("no se pueden quitar ni cambiar")));
    QCOMPARE(lines[1],
        QStringLiteral("- apuesta guardada n.\u00ba 100: Ana,P\u00e9rez,30904465,1999-03-17,7574 "
                       "(estaba despu\u00e9s de la l\u00ednea 100 del archivo)"));
    QCOMPARE(lines[2],
        QStringLiteral(
            "- apuesta guardada n.\u00ba 1: Luis,\"Paz, \"\"Jr\"\"\",1,1980-01-01,3 (antes de las "
            "dem\u00e1s filas guardadas del archivo)"));
    QCOMPARE(lines[3], QStringLiteral("- y 10 m\u00e1s."));
    QVERIFY(!message.explanation.contains(QStringLiteral("Ninguna")));
    // Not one stored bet in the file: most likely another file.
    error.storedBets = 12;
    QVERIFY(UserMessages::forError(error).explanation.contains(
        QStringLiteral("Ninguna de las apuestas guardadas para esta agencia est\u00e1 en este "
                       "archivo: \u00bfes el archivo con el que empez\u00f3 esta subida?")));
}

void TestAgencyUserMessages::duration_data()
{
    QTest::addColumn<qint64>("seconds");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << qint64(0) << "0:00";
    QTest::newRow("seconds") << qint64(7) << "0:07";
    QTest::newRow("minutes") << qint64(754) << "12:34";
    QTest::newRow("an hour") << qint64(3600) << "1:00:00";
    QTest::newRow("hours") << qint64(36061) << "10:01:01";
}

void TestAgencyUserMessages::duration()
{
    QFETCH(qint64, seconds);
    QFETCH(QString, text);
    QCOMPARE(durationText(seconds), text);
}

void TestAgencyUserMessages::detailInEachLanguage_data()
{
    QTest::addColumn<UploadError>("error");
    QTest::addColumn<QString>("servers");
    QTest::addColumn<QString>("english");
    QTest::addColumn<QString>("spanish");

    UploadError refused;
    refused.kind = UploadError::Kind::ConnectTimeout;
    refused.socketError = QAbstractSocket::ConnectionRefusedError;
    refused.server = QStringLiteral("10.0.0.2:12345");
    refused.message = QStringLiteral("could not connect to 10.0.0.2:12345 within 30000 ms");
    QTest::newRow("refused") << refused << QString()
                             << "server 10.0.0.2:12345; the connection was refused: nothing "
                                "listens at that address and port"
                             << QString::fromUtf8(
                                    "servidor 10.0.0.2:12345; se rechazó la conexión: "
                                    "nada escucha en esa dirección y puerto");
    UploadError unknownHost = refused;
    unknownHost.socketError = QAbstractSocket::HostNotFoundError;
    QTest::newRow("a list, unknown name")
        << unknownHost << QStringLiteral("a:1,b:2")
        << "servers tried: a:1,b:2; no computer has that name"
        << QString::fromUtf8("servidores probados: a:1,b:2; ningún equipo tiene ese nombre");
    UploadError rejected;
    rejected.kind = UploadError::Kind::BatchRejected;
    rejected.code = protocol::ErrorCode::InvalidBet;
    rejected.rejectedSequence = 42;
    rejected.server = QStringLiteral("s:9");
    QTest::newRow("rejected batch")
        << rejected << QString()
        << QStringLiteral("server s:9; the server's error code %1; batch number 42")
               .arg(static_cast<int>(protocol::ErrorCode::InvalidBet))
        << QString::fromUtf8("servidor s:9; código de error del servidor %1; lote número 42")
               .arg(static_cast<int>(protocol::ErrorCode::InvalidBet));
}

// The facts behind a failure, in the person's language; never the library's English message.
void TestAgencyUserMessages::detailInEachLanguage()
{
    QFETCH(UploadError, error);
    QFETCH(QString, servers);
    QFETCH(QString, english);
    QFETCH(QString, spanish);
    QCOMPARE(UserMessages::detailFor(error, servers), english);
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    QCOMPARE(UserMessages::detailFor(error, servers), spanish);
    if (!error.message.isEmpty())
        QVERIFY(!UserMessages::detailFor(error, servers).contains(error.message));
}

// Found on the file system, never from QFile's errorString (Qt's, partly English).
void TestAgencyUserMessages::unreadableFileSaysWhy()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    const QString missing = dir.filePath(QStringLiteral("no-esta.csv"));
    QCOMPARE(UserMessages::forUnreadableFile(missing),
        QStringLiteral("el archivo %1 no existe").arg(missing));
    QCOMPARE(UserMessages::forUnreadableFile(dir.path()),
        QStringLiteral("%1 es una carpeta, no un archivo").arg(dir.path()));
    UploadError error;
    error.kind = UploadError::Kind::FileError;
    error.message = QStringLiteral("cannot open %1: file to open is a directory").arg(dir.path());
    QCOMPARE(UserMessages::detailFor(error, QStringLiteral("s:1"), dir.path()),
        QStringLiteral("%1 es una carpeta, no un archivo").arg(dir.path()));
}

void TestAgencyUserMessages::retryOnlyWhereItMayHelp_data()
{
    QTest::addColumn<UploadError>("error");
    QTest::addColumn<bool>("mayHelp");
    const auto make
        = [](UploadError::Kind kind, std::optional<protocol::ErrorCode> code = {},
              QAbstractSocket::SocketError socket = QAbstractSocket::ConnectionRefusedError) {
              UploadError e;
              e.kind = kind;
              e.code = code;
              e.socketError = socket;
              return e;
          };
    using Kind = UploadError::Kind;
    using protocol::ErrorCode;
    QTest::newRow("server down") << make(Kind::ConnectTimeout) << true;
    QTest::newRow("unknown server name")
        << make(Kind::ConnectTimeout, {}, QAbstractSocket::HostNotFoundError) << false;
    QTest::newRow("connection lost") << make(Kind::ConnectionLost) << true;
    QTest::newRow("silent server") << make(Kind::ResponseTimeout) << true;
    QTest::newRow("server busy") << make(Kind::ServerError, ErrorCode::ServerBusy) << true;
    QTest::newRow("storage failure, gave up")
        << make(Kind::ConnectTimeout, ErrorCode::StorageFailure) << true;
    QTest::newRow("unknown agency") << make(Kind::ServerError, ErrorCode::InvalidAgency) << false;
    QTest::newRow("token refused")
        << make(Kind::ServerError, ErrorCode::AuthenticationFailed) << false;
    QTest::newRow("agency disabled") << make(Kind::ServerError, ErrorCode::AgencyDisabled) << false;
    QTest::newRow("version") << make(Kind::VersionMismatch) << false;
    QTest::newRow("unreadable file") << make(Kind::FileError) << false;
    QTest::newRow("wrong file") << make(Kind::WrongFile) << false;
    QTest::newRow("TLS") << make(Kind::TlsError) << false;
    QTest::newRow("confirmed bets lost") << make(Kind::AcknowledgedBetsLost) << false;
    QTest::newRow("not the file the upload started with") << make(Kind::StoredBetsDiffer) << false;
    QTest::newRow("receipt differs") << make(Kind::ReceiptMismatch) << false;
    QTest::newRow("resync limit") << make(Kind::ResyncLimit, ErrorCode::SequenceConflict) << false;
}

// Where the window says "press Retry": only where the same upload may succeed later.
void TestAgencyUserMessages::retryOnlyWhereItMayHelp()
{
    QFETCH(UploadError, error);
    QFETCH(bool, mayHelp);
    QCOMPARE(UserMessages::retryMayHelp(error), mayHelp);
}

// agency_disabled names the agency to the clerk, in Spanish from the catalog.
void TestAgencyUserMessages::disabledAgencyIsNamed()
{
    UploadError error;
    error.kind = UploadError::Kind::ServerError;
    error.code = protocol::ErrorCode::AgencyDisabled;
    error.agency = 7;
    QVERIFY(UserMessages::forError(error).explanation.startsWith(
        QLatin1String("Agency 7 was disabled by the lottery's operator: ")));
    QVERIFY(installTranslations(Language::Spanish, {UserMessages::catalog()}));
    const UserMessage spanish = UserMessages::forError(error);
    QCOMPARE(spanish.title, QStringLiteral("Agencia deshabilitada por el operador"));
    QVERIFY2(spanish.explanation.startsWith(
                 QStringLiteral("La agencia 7 fue deshabilitada por el operador de la lotería: ")),
        qPrintable(spanish.explanation));
}

QTEST_GUILESS_MAIN(TestAgencyUserMessages)
#include "tst_agency_user_messages.moc"
