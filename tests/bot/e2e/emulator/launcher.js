'use strict';
// Runs the telegram-test-api Bot API emulator on loopback for refundbot's end-to-end tests.
//
//   node launcher.js PORT [--watch-stdin]
//
// Binds 127.0.0.1:PORT only, prints one line `READY http://127.0.0.1:PORT` once listening and
// exits 0 on SIGTERM or SIGINT. With --watch-stdin it also exits when its stdin closes, so the
// emulator dies with the test run that started it even if that run is killed.
//
// telegram-test-api 4.2.1 needs a few fixes before python-telegram-bot 22 accepts its answers;
// each patch below says which.
const TelegramServer = require('telegram-test-api');
const {routes} = require('telegram-test-api/lib/routes');

const BOT_USER = {id: 666, is_bot: true, first_name: 'Test Bot', username: 'TestBot'};
const NO_OP_METHODS = ['sendChatAction', 'setMyCommands', 'deleteMyCommands', 'setChatMenuButton'];

// A stored bot message as the Bot API returns it: `date` in seconds (the package uses
// milliseconds, which python-telegram-bot reads as seconds and rejects), with the bot as sender
// and only an inline keyboard as reply_markup.
function asBotApiMessage(entry) {
  const {chat_id: chatId, reply_markup: markup, ...fields} = entry.message;
  return {
    ...fields,
    message_id: entry.messageId,
    date: Math.floor(entry.time / 1000),
    chat: {id: Number(chatId), type: 'private'},
    from: BOT_USER,
    ...(markup && markup.inline_keyboard ? {reply_markup: markup} : {}),
  };
}

function findBotMessage(server, token, chatId, messageId) {
  return server.storage.botMessages.find((entry) => entry.botToken === token
    && String(entry.messageId) === String(messageId)
    && String(entry.message.chat_id) === String(chatId));
}

// editMessageText/editMessageReplyMarkup answer `result: null`, which python-telegram-bot turns
// into an AttributeError; Telegram answers with the edited message, or 400 if there is none.
// As in Telegram, an edit without reply_markup removes the inline keyboard.
function editRoute(method) {
  return (app, server) => app.all(`/bot:token/${method}`, (req, res) => {
    const body = req.body;
    const entry = findBotMessage(server, req.params.token, body.chat_id, body.message_id);
    if (!entry) {
      const description = 'Bad Request: message to edit not found';
      res.status(400).json({ok: false, error_code: 400, description});
      return;
    }
    server[method](body);
    if (body.reply_markup === undefined) delete entry.message.reply_markup;
    res.json({ok: true, result: asBotApiMessage(entry)});
  });
}

// The server registers `routes` in order when it is constructed, and Express answers with the
// first matching route, so routes put at the front override the package's own.
routes.unshift((app) => {
  // Errors come back as {message} with HTTP 500, or as {ok: false} with HTTP 200;
  // python-telegram-bot needs an HTTP error status and reads `description`, so without this a
  // bot sees "Internal Server Error (500)" (or a KeyError) instead of the emulator's reason,
  // e.g. "API method 'sendPhoto' is not supported".
  app.use((_req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body) => {
      if (body && body.ok === undefined && typeof body.message === 'string') {
        body = {ok: false, error_code: res.statusCode, description: body.message};
      }
      if (body && body.ok === false && res.statusCode < 400) res.status(body.error_code || 400);
      return json(body);
    };
    next();
  });
  // getMe lacks `is_bot`, which python-telegram-bot's User requires.
  app.all('/bot:token/getMe', (_req, res) => res.json({ok: true, result: BOT_USER}));
  // Calls bots make in passing (typing..., the command menu) are unknown methods there, so a
  // bot that makes them would fail; accept and forget them as Telegram would accept them.
  for (const method of NO_OP_METHODS) {
    app.all(`/bot:token/${method}`, (_req, res) => res.json({ok: true, result: true}));
  }
  // The package has no files: uploads (a return label, a tier chart) are multipart bodies it can't
  // read. Accept them with a sent message, as Telegram would, and forget them; the files themselves
  // are checked by the offline tests.
  let fileMessageId = 900000;
  for (const method of ['sendPhoto', 'sendDocument']) {
    app.all(`/bot:token/${method}`, (_req, res) => {
      fileMessageId += 1;
      res.json({ok: true, result: {message_id: fileMessageId, date: Math.floor(Date.now() / 1000),
        chat: {id: 0, type: 'private'}, from: BOT_USER}});
    });
  }
}, editRoute('editMessageText'), editRoute('editMessageReplyMarkup'));

const addBotMessage = TelegramServer.prototype.addBotMessage;
TelegramServer.prototype.addBotMessage = function (rawMessage, botToken) {
  const sent = addBotMessage.call(this, rawMessage, botToken);
  const stored = this.storage.botMessages.find((entry) => entry.messageId === sent.message_id);
  return asBotApiMessage(stored);
};

// Callback queries lack `chat_instance`, which python-telegram-bot's CallbackQuery requires,
// and user messages carry the client API's `botToken` field, which is not the Bot API's.
const formatUpdate = TelegramServer.formatUpdate;
TelegramServer.formatUpdate = function (update) {
  const formatted = formatUpdate.call(this, update);
  if (formatted.message) delete formatted.message.botToken;
  const query = formatted.callback_query;
  if (query && query.chat_instance === undefined) {
    const chat = query.message && query.message.chat;
    query.chat_instance = String(chat ? chat.id : query.from.id);
  }
  return formatted;
};

// Webhook deliveries run unawaited inside the package, so a failed one would be an unhandled
// rejection and kill the emulator mid-test; report it on stderr instead.
process.on('unhandledRejection', (error) => {
  console.error(`telegram emulator: ${error && error.stack ? error.stack : error}`);
});

async function main() {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error('usage: node launcher.js PORT [--watch-stdin]');
    process.exit(2);
  }
  const server = new TelegramServer({port, host: '127.0.0.1', storeTimeout: 600});
  await server.start();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // http-shutdown waits for open requests; do not let a stuck client keep us alive.
    setTimeout(() => process.exit(0), 2000).unref();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (process.argv.includes('--watch-stdin')) {
    process.stdin.on('end', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  }
  console.log(`READY ${server.config.apiURL}`);
}

main().catch((error) => {
  console.error(`telegram emulator failed to start: ${error.stack || error}`);
  process.exit(1);
});
