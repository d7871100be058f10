<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_AR">
<context>
    <name>AgencyCli</name>
    <message>
        <source>agency-cli: %1
Try --help.
</source>
        <translation>agency-cli: %1
Pruebe con --help.
</translation>
    </message>
</context>
<context>
    <name>AgencyConfigLoader</name>
    <message>
        <source>%1: &apos;%2&apos; is not %3</source>
        <translation>%1: &apos;%2&apos; no es %3</translation>
    </message>
    <message>
        <source>an agency number from 1 to 4294967295</source>
        <translation>un número de agencia entre 1 y 4294967295</translation>
    </message>
    <message>
        <source>a log level (DEBUG, INFO, WARNING, ERROR)</source>
        <translation>un nivel de registro (DEBUG, INFO, WARNING, ERROR)</translation>
    </message>
    <message>
        <source>a batch size from 1 to 65535</source>
        <translation>un tamaño de lote entre 1 y 65535</translation>
    </message>
    <message>
        <source>a file path</source>
        <translation>una ruta de archivo</translation>
    </message>
    <message>
        <source>a window from 1 to 1024 batches</source>
        <translation>una ventana de 1 a 1024 lotes</translation>
    </message>
    <message>
        <source>a timeout from 1 to 86400 seconds</source>
        <translation>un plazo de 1 a 86400 segundos</translation>
    </message>
    <message>
        <source>a timeout from 0 (never reconnect) to 86400 seconds</source>
        <translation>un plazo de 0 (no reconectar nunca) a 86400 segundos</translation>
    </message>
    <message>
        <source>a readable CA certificate file</source>
        <translation>un archivo de certificado de CA que se pueda leer</translation>
    </message>
    <message>
        <source>%1: cannot read the file</source>
        <translation>%1: no se puede leer el archivo</translation>
    </message>
    <message>
        <source>%1: line %2, column %3: %4</source>
        <translation>%1: línea %2, columna %3: %4</translation>
    </message>
    <message>
        <source>%1: the top level must be a mapping of keys</source>
        <translation>%1: el primer nivel debe ser un mapa de claves</translation>
    </message>
    <message>
        <source>%1: must be a single value</source>
        <translation>%1: debe ser un solo valor</translation>
    </message>
    <message>
        <source>Uploads one agency&apos;s bets to the lottery server and prints its winners.
Settings: config.yaml, then CLI_* environment variables, then flags.</source>
        <translation>Sube las apuestas de una agencia al servidor de la lotería y muestra sus ganadores.
Configuración: config.yaml, luego las variables de entorno CLI_*, luego las opciones.</translation>
    </message>
    <message>
        <source>Show this help.</source>
        <translation>Muestra esta ayuda.</translation>
    </message>
    <message>
        <source>YAML settings (default ./config.yaml).</source>
        <translation>Configuración YAML (por omisión ./config.yaml).</translation>
    </message>
    <message>
        <source>file</source>
        <translation>archivo</translation>
    </message>
    <message>
        <source>Agency number (config id, CLI_ID).</source>
        <translation>Número de agencia (config id, CLI_ID).</translation>
    </message>
    <message>
        <source>Bets CSV (config data.file, CLI_DATA_FILE; default .data/agency-ID.csv).</source>
        <translation>CSV de apuestas (config data.file, CLI_DATA_FILE; por omisión .data/agency-ID.csv).</translation>
    </message>
    <message>
        <source>path</source>
        <translation>ruta</translation>
    </message>
    <message>
        <source>Bets per batch (config batch.maxAmount, CLI_BATCH_MAXAMOUNT).</source>
        <translation>Apuestas por lote (config batch.maxAmount, CLI_BATCH_MAXAMOUNT).</translation>
    </message>
    <message>
        <source>DEBUG, INFO, WARNING or ERROR (config log.level, CLI_LOG_LEVEL).</source>
        <translation>DEBUG, INFO, WARNING o ERROR (config log.level, CLI_LOG_LEVEL).</translation>
    </message>
    <message>
        <source>level</source>
        <translation>nivel</translation>
    </message>
    <message>
        <source>Seconds to keep retrying the connection (default 30).</source>
        <translation>Segundos durante los que se reintenta la conexión (por omisión 30).</translation>
    </message>
    <message>
        <source>Seconds to keep reconnecting after a lost connection, 0 for never (config reconnect.timeout, CLI_RECONNECT_TIMEOUT; default 60).</source>
        <translation>Segundos durante los que se intenta reconectar después de perder la conexión, 0 para nunca (config reconnect.timeout, CLI_RECONNECT_TIMEOUT; por omisión 60).</translation>
    </message>
    <message>
        <source>Unacknowledged batches in flight (default 128).</source>
        <translation>Lotes enviados sin confirmar a la vez (por omisión 128).</translation>
    </message>
    <message>
        <source>PEM CA to verify the server with; turns TLS on (config ca, CLI_CA).</source>
        <translation>CA en PEM con la que verificar el servidor; activa TLS (config ca, CLI_CA).</translation>
    </message>
    <message>
        <source>File holding the agency&apos;s token (config tokenFile, CLI_TOKEN_FILE).</source>
        <translation>Archivo con el token de la agencia (config tokenFile, CLI_TOKEN_FILE).</translation>
    </message>
    <message>
        <source>The agency&apos;s token (config token, CLI_TOKEN). Visible to other local users in `ps`: prefer --token-file.</source>
        <translation>El token de la agencia (config token, CLI_TOKEN). Otros usuarios del equipo lo ven en `ps`: mejor use --token-file.</translation>
    </message>
    <message>
        <source>secret</source>
        <translation>secreto</translation>
    </message>
    <message>
        <source>Log lines only, also on a terminal (without it, a terminal on stderr shows a progress bar).</source>
        <translation>Solo las líneas de registro, también en una terminal (sin esta opción, una terminal en stderr muestra una barra de progreso).</translation>
    </message>
    <message>
        <source>Language of the messages to a person: es or en (default: the system&apos;s). Log lines are always the same.</source>
        <translation>Idioma de los mensajes para las personas: es o en (por omisión, el del sistema). Las líneas de registro no cambian.</translation>
    </message>
    <message>
        <source>unexpected argument &apos;%1&apos;</source>
        <translation>argumento inesperado &apos;%1&apos;</translation>
    </message>
    <message>
        <source>%1: no such file (named with --config)</source>
        <translation>%1: no existe el archivo (indicado con --config)</translation>
    </message>
    <message>
        <source>environment %1</source>
        <translation>variable de entorno %1</translation>
    </message>
    <message>
        <source>the agency number is not set (config id, CLI_ID or --agency)</source>
        <translation>falta el número de agencia (config id, CLI_ID o --agency)</translation>
    </message>
    <message>
        <source>--lang must be es or en, not &apos;%1&apos;</source>
        <translation>--lang debe ser es o en, no &apos;%1&apos;</translation>
    </message>
    <message>
        <source>%1: &apos;%2&apos; is not a HOST:PORT address or a list a:PORT,b:PORT (%3)</source>
        <translation>%1: &apos;%2&apos; no es una dirección HOST:PUERTO ni una lista a:PUERTO,b:PUERTO (%3)</translation>
    </message>
    <message>
        <source>Server address, or a list a:PORT,b:PORT to fail over along in order (config server.address, CLI_SERVER_ADDRESS).</source>
        <translation>Dirección del servidor, o una lista a:PUERTO,b:PUERTO que se recorre en orden cuando uno falla (config server.address, CLI_SERVER_ADDRESS).</translation>
    </message>
    <message>
        <source>host:port[,host:port...]</source>
        <translation>host:puerto[,host:puerto...]</translation>
    </message>
    <message>
        <source>%1: unknown key `%2`; did you mean `%3`?</source>
        <translation>%1: clave desconocida `%2`; ¿quiso decir `%3`?</translation>
    </message>
    <message>
        <source>%1: unknown key `%2` (the keys: %3)</source>
        <translation>%1: clave desconocida `%2` (las claves: %3)</translation>
    </message>
    <message>
        <source>%1: a key must be a plain name</source>
        <translation>%1: una clave debe ser un nombre simple</translation>
    </message>
    <message>
        <source>%1: `%2`: the parts of a key go on their own lines, each under the one before (server:, then address:)</source>
        <translation>%1: `%2`: las partes de una clave van en líneas propias, cada una debajo de la anterior (server:, luego address:)</translation>
    </message>
    <message>
        <source>%1: `%2` must be a mapping of %3, not a single value</source>
        <translation>%1: `%2` debe agrupar %3, no tener un valor propio</translation>
    </message>
    <message>
        <source>environment</source>
        <translation>entorno</translation>
    </message>
</context>
<context>
    <name>lottery::agency::TerminalProgress</name>
    <message>
        <source>Line %1 not sent: %2</source>
        <translation>Línea %1 no enviada: %2</translation>
    </message>
    <message>
        <source>Connecting to the server... (attempt %1)</source>
        <translation>Conectando con el servidor... (intento %1)</translation>
    </message>
    <message>
        <source>Connecting to the server...</source>
        <translation>Conectando con el servidor...</translation>
    </message>
    <message>
        <source>time left unknown</source>
        <translation>tiempo restante desconocido</translation>
    </message>
    <message>
        <source>finishing</source>
        <translation>terminando</translation>
    </message>
    <message>
        <source>%1 left</source>
        <translation>faltan %1</translation>
    </message>
    <message>
        <source>sent %1 · stored %2 · %3 bets/s · %4</source>
        <translation>enviadas %1 · guardadas %2 · %3 apuestas/s · %4</translation>
    </message>
    <message>
        <source>All %1 bets stored; waiting for the draw (every agency must finish)...</source>
        <translation>Las %1 apuestas están guardadas; esperando el sorteo (deben terminar todas las agencias)...</translation>
    </message>
    <message>
        <source>Draw done.</source>
        <translation>Sorteo hecho.</translation>
    </message>
    <message>
        <source>Failed.</source>
        <translation>Falló.</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Detenido.</translation>
    </message>
    <message>
        <source>Agency %1: %2 bets stored on the server (%3 in this run, %4 s).</source>
        <translation>Agencia %1: %2 apuestas guardadas en el servidor (%3 en esta ejecución, %4 s).</translation>
    </message>
    <message>
        <source>No winners for this agency.</source>
        <translation>Esta agencia no tiene ganadores.</translation>
    </message>
    <message>
        <source>and %1 more</source>
        <translation>y %1 más</translation>
    </message>
    <message>
        <source>The server keeps the %1 bets it stored; running again resumes after them.</source>
        <translation>El servidor conserva las %1 apuestas que guardó; al volver a ejecutar se sigue después de ellas.</translation>
    </message>
    <message>
        <source>Stopped. The server keeps the %1 bets it stored; running again resumes after them.</source>
        <translation>Detenido. El servidor conserva las %1 apuestas que guardó; al volver a ejecutar se sigue después de ellas.</translation>
    </message>
    <message>
        <source>1 winner (document): %1</source>
        <translation>1 ganador (documento): %1</translation>
    </message>
    <message>
        <source>%1 winners (documents): %2</source>
        <translation>%1 ganadores (documentos): %2</translation>
    </message>
    <message>
        <source>1 invalid row of the file was not sent (each one is listed with --no-progress).</source>
        <translation>1 fila inválida del archivo no se envió (con --no-progress se lista cada una).</translation>
    </message>
    <message>
        <source>%1 invalid rows of the file were not sent (each one is listed with --no-progress).</source>
        <translation>%1 filas inválidas del archivo no se enviaron (con --no-progress se lista cada una).</translation>
    </message>
    <message>
        <source>stored %1 · %2 bets/s · %3</source>
        <translation>guardadas %1 · %2 apuestas/s · %3</translation>
    </message>
    <message>
        <source>%1 bets/s · %2</source>
        <translation>%1 apuestas/s · %2</translation>
    </message>
    <message>
        <source>%1 bets/s</source>
        <translation>%1 apuestas/s</translation>
    </message>
    <message>
        <source>Upload interrupted (%1); reconnecting, to the next server of the list if there is one, for up to %2 s...</source>
        <translation>Subida interrumpida (%1); se intenta reconectar, al siguiente servidor de la lista si lo hay, durante hasta %2 s...</translation>
    </message>
    <message>
        <source>The upload failed: %1.</source>
        <translation>Falló la subida: %1.</translation>
    </message>
    <message>
        <source>Detail: %1</source>
        <translation>Detalle: %1</translation>
    </message>
</context>
</TS>
