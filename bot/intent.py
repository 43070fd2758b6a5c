"""What a plain sentence asks for: "where is my refund", "it arrived broken", "I was charged twice", in English and Spanish.

`understand(text, role)` maps a sentence to an Intent: a command to run (status, tier, ...), the
refund flow with the reason filled in, something out of scope (billing, cancelling an order, ...)
with a topic to explain, or unknown. Patterns are ordered: the first that matches wins, so
questions about a refund ("my refund never arrived") are tried before complaints about an item
("it never arrived"), and billing questions before both; a complaint with a reason wins over a
request the bot can't serve ("it arrived broken, can I exchange it?"). Words
are compared after folding case and accents, and tolerate one typo (two in long words).

`matching(text, candidates)` finds the order item a sentence names ("return my sleeping bag").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, TypeVar

T = TypeVar("T")

GAP = 2  # other words allowed between two words of a pattern
NEGATIONS = frozenset({"not", "isnt", "wasnt", "arent", "no", "never", "nothing", "nada"})


@dataclass(frozen=True)
class Intent:
    """What a sentence asks for: `name` (status, refund, out_of_scope, help, cancel, thanks, tier, refunds,
    claims, claim, unknown), the refund `reason` when the sentence gives one, the `topic` of an out-of-scope ask."""

    name: str
    reason: str | None = None
    topic: str | None = None


def normalize(text: str) -> list[str]:
    """Lower-case words without accents or apostrophes ("Didn't" -> "didnt"; "llegó" -> "llego"), runs of 3+ letters cut to 2."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(r"['’`´]", "", folded)
    folded = re.sub(r"(.)\1{2,}", r"\1\1", folded)
    return re.findall(r"[a-z0-9]+", folded)


def _close(word: str, want: str) -> bool:
    """True when `word` is `want` or one typo away (two for words of 8+ letters); words under 5 letters must be exact."""
    if word == want:
        return True
    if len(want) == 4 and len(word) == 4 and sorted(word) == sorted(want):
        return _distance(word, want, 1) == 1  # a swap of two letters ("teir", "itme")
    if len(want) < 5 or word[:1] != want[:1]:
        return False
    allowed = 2 if len(want) >= 8 else 1
    if abs(len(word) - len(want)) > allowed:
        return False
    return _distance(word, want, allowed) <= allowed


@lru_cache(maxsize=65536)
def _distance(a: str, b: str, cap: int) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps), stopping past `cap`."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > cap:
            return cap + 1
        previous2, previous = previous, current
    return previous[-1]


class _Term:
    """One word of a pattern: alternatives (`a|b`), prefixes (`arriv*`), `!` when a negation before it cancels the match."""

    def __init__(self, spec: str):
        self.negatable = spec.startswith("!")
        self.words = tuple(spec.lstrip("!").split("|"))
        self._seen: dict[str, bool] = {}

    def matches(self, word: str) -> bool:
        known = self._seen.get(word)
        if known is None:
            known = self._seen[word] = self._matches(word)
            if len(self._seen) > 20_000:  # people type unbounded vocabularies
                self._seen.clear()
        return known

    def _matches(self, word: str) -> bool:
        for want in self.words:
            if want.endswith("*"):
                stem = want[:-1]
                if word.startswith(stem) or (len(stem) >= 5 and any(_close(word[:k], stem) for k in (len(stem) - 1, len(stem), len(stem) + 1))):
                    return True
            elif _close(word, want):
                return True
        return False


class _Pattern:
    """Words that must appear in order, each within GAP words of the one before."""

    def __init__(self, spec: str):
        self.terms = [_Term(part) for part in spec.split()]

    def found_in(self, words: list[str]) -> bool:
        return any(self._from(words, 0, start) for start in range(len(words)))

    def _from(self, words: list[str], index: int, position: int) -> bool:
        term = self.terms[index]
        if position >= len(words) or not term.matches(words[position]):
            return False
        if term.negatable and position > 0 and words[position - 1] in NEGATIONS:
            return False
        if index + 1 == len(self.terms):
            return True
        return any(self._from(words, index + 1, nxt) for nxt in range(position + 1, min(len(words), position + 2 + GAP)))


# Objects of money questions: a refund, the money, a reimbursement.
_MONEY = "refund*|refnd|money|reimburs*|reembolso*|dinero|devolucion"
# Out of scope first: these mention money or orders but ask for something the bot can't do.
_OUT_OF_SCOPE = {
    "billing": ["charg* twice|double|two|2|again|extra", "double charg*|billed", "billed twice|two|double", "overcharg*",
                "charg* more than", "cobr* dos|doble|2|de", "doble cargo|cobro", "cargo doble|duplicado", "cobro doble|duplicado",
                "payment twice|double|duplicated", "extra|unknown|unexpected|double|duplicate charge|charges|payment", "pagu* dos veces", "pague doble"],
    "cancel_order": ["cancel my|the|an|this order|purchase", "cancel order", "cancelar pedido|compra|orden",
                     "cancelar el|mi pedido|compra", "anular pedido|compra"],
    "address": ["change|update address", "wrong address", "cambiar direccion", "direccion equivocada|incorrecta"],
    "tracking": ["track* order|package|parcel|shipment", "where|wheres order|package|parcel|shipment|delivery", "tracking",
                 "donde pedido|paquete|envio", "seguimiento", "when will my order|package|parcel arrive|come|be"],
    "human": ["talk|speak|chat to|with human|person|agent|someone|somebody|manager|representative",
              "real person|human", "hablar con persona|humano|agente|alguien", "persona real", "call me|llamenme|llamadme"],
    "exchange": ["exchange", "swap for|it", "cambiar|cambiarlo|cambiarla|cambialo por|otro|otra", "cambio de talla"],
}
_STATUS = [
    f"where|wheres|wher|donde {_MONEY}", f"sigo|estoy esperando {_MONEY}", f"until|till|before get|receive|see {_MONEY}", f"status {_MONEY}|return|request|solicitud",
    f"when will|do|can|does i|me get|receive|see|be my|the {_MONEY}", f"when {_MONEY}",
    f"{_MONEY} status", f"still|yet waiting|esperando {_MONEY}", f"waiting for|on my {_MONEY}",
    f"havent|didnt|not|never|no got|get|gotten|received|receive|seen|recibido|recibi|llegado|ha {_MONEY}",
    f"{_MONEY} never|not|hasnt|didnt|no arriv*|came|come|received|showed|shown|llego|llegado|recibido|aparece",
    f"did|has|have you get|got|receive|received my|the return", f"news|update|noticias on|about|of|de|sobre my|mi|el {_MONEY}",
    f"any news|update on|about my {_MONEY}|return", f"estado de|del mi|la|el {_MONEY}|solicitud|pedido", "estado reembolso*",
    f"cuando me devolv*|devuelven|reembols*|llega", f"cuando llega* mi|el {_MONEY}", "my requests|decisions", "mis solicitudes",
    f"is my {_MONEY} coming|processed|done|approved|ready", "has my refund|return been", f"{_MONEY} processed|pending|coming",
    f"ya me devolvieron", f"todavia|aun no me devolv*|han|has|llega|llego|ha",
]
_REASONS = {
    "not_received": [
        "never came|arrived|arrive|got|received|showed|delivered|come|turned|recieved", "not been delivered|received",
        "didnt|hasnt|havent|dont|doesnt|wasnt arriv*|come|came|receive|received|get|got|show|delivered",
        "did|has|have|was not arriv*|come|came|receive|received|delivered", "not arriv*|received|delivered",
        "lost in the post|mail|transit", "lost package|parcel|order|shipment", "package|parcel|order|shipment|it lost|missing|stolen",
        "says|shows|marked delivered but|as", "dice|pone|marca|aparece entregado", "no me|te|ha|han llegado|llego|llega|recibido|entregado", "nunca llego|llega|recibi",
        "no llego|recibi|llega", "paquete perdido|extraviado|robado", "se perdio|extravio", "where did my package|parcel go",
        "not here|there yet", "nothing arrived|came", "delivered|went|sent|left to|at the|a wrong|another address|house|person|neighbour|neighbor",
        "nevr|nver|neva came|arrived|got|come", "entregaron|dejaron en otra|otro direccion|casa|vecino",
    ],
    "damaged_in_transit": [
        "arriv*|came|come|delivered|showed|got|received broken|damaged|smashed|cracked|crushed|dented|shattered|ripped|torn|bent|scratched",
        "broken|damaged|smashed|cracked|shattered on|upon arrival|delivery", "damaged in transit|shipping|delivery|the|post",
        "arriv*|came|come|delivered in pieces|bits", "in pieces",
        "cracked|broken|damaged|smashed|shattered|scratched|dented when|as came|arrived|delivered|arriv*",
        "came|arrived|arriv* with dent|dents|crack|cracks|scratch|scratches|hole|holes",
        "dano|rompio|danado|danada|roto|rota|rompieron envio|transporte|camino",
        "box|package|parcel was|is|came|arrived crushed|damaged|smashed|wet|destroyed|ripped|torn|open",
        "box|package|parcel crushed|damaged|smashed|destroyed", "courier|carrier|delivery broke|damaged|smashed",
        "llego|vino|llegaron|recibi roto|rota|danado|danada|destrozado|destrozada|golpeado|golpeada|rayado|roto",
        "caja|paquete aplastad*|danad*|rot*|destrozad*|mojad*", "roto|rota al llegar", "roto|rota en el envio", "danado en el envio|transporte",
    ],
    "defective": [
        "dont|doesnt|wont|didnt|not work|works|working|wrk|turn|switch|charge|power|start|connect",
        "does|will|did not work|turn|switch|charge|power|start", "stopped|quit working|work",
        "!faulty|defective|malfunctioning|broke|kaputt|dead", "its|is !broken", "it broke", "dead on arrival",
        "no funciona|enciende|carga|sirve|arranca|conecta", "dejo de funcionar", "esta|es !defectuoso|defectuosa|estropeado|estropeada|roto|rota|averiado",
        "se rompio|estropeo|averio", "not|no working|funcionando", "battery dies|died|dead",
    ],
    "wrong_item": [
        "wrong item|product|thing|colour|color|model|one|article|book|version", "sent|got|received|shipped|delivered|came wrong|different|another",
        "sent the wrong", "not what i ordered|bought|paid", "isnt|wasnt what i ordered|bought", "different item|product|model than|from",
        "articulo|producto|modelo|color equivocado|incorrecto|erroneo", "no es lo que pedi|compre", "me mandaron|enviaron|llego otro|otra",
        "pedi otro|otra", "sent me someone elses", "wrong order",
    ],
    "not_as_described": [
        "not|nt|isnt|wasnt|arent as described|advertised|pictured|shown", "doesnt|didnt|dont|not look|looks|match|matches|resemble picture|photo|description|listing|pictures|photos|image|ad",
        "different from|than the|what picture|photo|description|listing|advertised|pictures", "fake", "counterfeit", "misleading",
        "knock off", "knockoff", "nothing like picture|photo|photos|pictures|description|listing|ad", "cheap copy", "no es como se describia|describe|anunciaba", "no es como en|la foto", "no se parece",
        "diferente a|de la foto|descripcion|anuncio", "no coincide con", "falso|falsa|imitacion", "worse than described|advertised|pictured",
        "quality is|was terrible|awful|bad|poor", "calidad mala|horrible", "mala calidad",
    ],
    "no_longer_needed": [
        "dont|didnt|not need|want|like|love", "changed my mind", "change my mind", "by mistake|accident",
        "ordered|bought|got the|a wrong size|one", "wrong size|sizes|fit", "doesnt|didnt|dont|not fit|fits", "too small|big|large|tight|short|long|loose",
        "found it cheaper|elsewhere", "found a better|cheaper", "no longer need*|want*", "not needed|wanted anymore|any",
        "ya no lo|la|los|las quiero|necesito|uso", "no lo|la necesito|quiero", "cambie de opinion|idea", "no me gusta|gusto|queda|vale|sirve",
        "por error", "talla equivocada|incorrecta|grande|pequena|mal", "muy|demasiado pequeno|pequena|grande|chico|chica|apretado",
        "dont like|love the|it|this|them|color|colour", "didnt like|need|want", "unwanted gift", "gift i dont", "regalo",
        "mas barato en", "no lo uso", "i have|had two", "duplicate order|purchase", "compre dos",
    ],
}
_REFUND = [
    "return", "returns", "returning", "refund*", "refnd", "money back", "send|sending it|this|them back", "give it back",
    "devolver", "devolucion", "devuelvo", "reembolso*", "reembols*", "quiero mi dinero", "mi dinero de vuelta", "regresar",
    "my money", "get paid back",
]
_CANCEL = ["cancel", "stop", "nevermind", "never mind", "forget it", "cancelar", "olvidalo", "dejalo"]
_THANKS = ["thanks", "thank you", "thx", "ty", "cheers", "gracias", "perfect", "great", "genial", "perfecto"]
_HELP = ["help", "what can you do", "what do you do", "how does this work", "how do you work", "menu", "options", "commands",
         "hi", "hello", "hey", "hiya", "good morning|afternoon|evening", "hola", "buenos|buenas dias|tardes|noches", "ayuda",
         "que puedes hacer", "que haces", "como funciona", "start"]
_SELLER = {
    "owed": ["owed", "owe me", "do you owe", "money am i due", "how much am i due", "what am i due", "cuanto me deben", "me deben",
             "what can i still claim", "claimable"],
    "claims": ["my claims", "claims status", "status of|on my claim|claims", "where is|are my claim|claims",
               "mis reclamaciones|reclamos", "estado de mi|mis reclamacion|reclamaciones|reclamo|reclamos", "list claims",
               "show|see|check my claims|claim", "how are my claims"],
    "claim": ["file|open|start|make|submit|new claim", "claim for|on", "get reimbursed|reimbursement", "reimburse", "reimbursement",
              "safe t", "safet", "reclamar", "reclamacion", "reclamo", "presentar reclamacion|reclamo", "claim"],
    "tier": ["tier", "discount", "my fee|fees", "fees", "vtr", "aprl", "cpu", "metrics", "how am i doing", "valid tracking",
             "contacts per unit", "nivel", "descuento", "tarifa|tarifas", "mis metricas", "como voy", "my rating|level|rank"],
    "refunds": ["refunds", "refunded", "returns on my", "who returned", "recent returns", "devoluciones", "reembolsos", "my returns",
                "what was refunded", "buyers returned|returning"],
}


def _compile(specs: Iterable[str]) -> list[_Pattern]:
    return [_Pattern(spec) for spec in specs]


CONCEPTS = Intent("concepts")  # the place in the order where the concepts of the whole sentence are weighed
_RULES: dict[str, list[tuple[Intent, list[_Pattern]]]] = {
    "buyer": (
        [(Intent("out_of_scope", topic="billing"), _compile(_OUT_OF_SCOPE["billing"]))]
        + [(Intent("status"), _compile(_STATUS))]
        + [(Intent("refund", reason=reason), _compile(specs)) for reason, specs in _REASONS.items()]
        + [(Intent("out_of_scope", topic=topic), _compile(specs)) for topic, specs in _OUT_OF_SCOPE.items() if topic != "billing"]
        + [(CONCEPTS, []), (Intent("refund"), _compile(_REFUND)), (Intent("cancel"), _compile(_CANCEL)),
           (Intent("thanks"), _compile(_THANKS)), (Intent("help"), _compile(_HELP))]
    ),
    "seller": (
        [(Intent("out_of_scope", topic=topic), _compile(specs)) for topic, specs in _OUT_OF_SCOPE.items() if topic in ("billing", "human")]
        + [(Intent(name), _compile(specs)) for name, specs in _SELLER.items()]
        + [(CONCEPTS, []), (Intent("cancel"), _compile(_CANCEL)), (Intent("thanks"), _compile(_THANKS)), (Intent("help"), _compile(_HELP))]
    ),
}
_RULES["other"] = [(Intent("cancel"), _compile(_CANCEL)), (Intent("thanks"), _compile(_THANKS)), (Intent("help"), _compile(_HELP))]


def understand(text: str, role: str | None) -> Intent:
    """The intent of a sentence from a person with `role` (buyer, seller, admin or None)."""
    words = normalize(text)
    if not words:
        return Intent("unknown")
    for intent, patterns in _RULES.get(role or "other", _RULES["other"]):
        if intent is CONCEPTS:
            found = _by_concepts(words, role)
            if found is not None:
                return found
        elif any(p.found_in(words) for p in patterns):
            return intent
    return Intent("unknown")


# When no phrase matches: the concepts a sentence mentions, anywhere in it, decide. Coarser than the
# phrases, so it runs after the specific ones and before the generic refund words (a refund word
# with a status word is a question about a refund, not a request); it starts a refund only with a
# reason it can name.
_CONCEPTS = {name: _Term("|".join(words.split())) for name, words in {
    "money": "refund refunds refunded refnd money reimbursement reembolso dinero paid",
    "status": "where wheres when status yet still waiting happened processed procesaron through way long tarda tardan cuando "
              "donde estado veo sigo todavia aun news update noticias pending cuanto",
    "negation": "never not no didnt havent hasnt nothing wasnt isnt dont doesnt wont cant todavia nunca nada",
    "arrival": "arrive arrived arrives came come received receive recieved delivered delivery showed here got get llego llegado "
               "recibido recibi entregado entrego entregaron",
    "loss": "missing lost stolen perdido robado extraviado",
    "damage": "broken broke damaged smashed cracked crack crushed dented dent shattered scratched ripped torn bent roto rota rotos "
              "danado danada destrozado golpeado aplastado aplastada",
    "transit": "arrived came delivery delivered post mail shipping transit parcel box package opened courier envio llego vino "
               "venia caja paquete transporte",
    "function": "work works working pair pairs charge charging charges turn power connect switch battery button stuck funciona "
                "enciende carga bateria boton",
    "fault": "faulty defective malfunction malfunctioning defectuoso defectuosa averiado stopped dejo",
    "wrong": "wrong different another else other instead otro otra diferente equivocado incorrecto elses",
    "thing": "item thing product one parcel order model colour color size articulo producto pedido modelo",
    "description": "described description picture pictures photo photos listing advertised fake counterfeit misleading knockoff "
                   "foto fotos descripcion anuncio falso mostraba",
    "fit": "size fit fits tight small smaller big bigger large loose short talla queda pequeno pequena grande apretado",
    "unwanted": "anymore mistake accident accidentally cheaper gift necesito error opinion",
    "billing": "charged charge charges billed cobrado cobraron cobro cargo payments",
    "twice": "twice double two duplicate duplicated extra doble dos",
    "tracking": "track tracking shipped ship dispatched seguimiento enviado",
    "human": "human person agent someone representative manager persona humano agente",
    "exchange": "exchange swap cambiar cambiarlo",
}.items()}


def _by_concepts(words: list[str], role: str | None) -> Intent | None:
    seen = {name for name, term in _CONCEPTS.items() if any(term.matches(w) for w in words)}
    if "billing" in seen and "twice" in seen:
        return Intent("out_of_scope", topic="billing")
    if role == "seller":
        return Intent("out_of_scope", topic="human") if "human" in seen else None
    if role != "buyer":
        return None
    if "money" in seen and "status" in seen:
        return Intent("status")
    if "damage" in seen:
        return Intent("refund", reason="damaged_in_transit" if "transit" in seen else "defective")
    if ("arrival" in seen and "negation" in seen) or "loss" in seen:
        return Intent("refund", reason="not_received")
    if "function" in seen and ("negation" in seen or "fault" in seen) or "fault" in seen:
        return Intent("refund", reason="defective")
    if "description" in seen:
        return Intent("refund", reason="not_as_described")
    if "wrong" in seen and "thing" in seen and "fit" not in seen:
        return Intent("refund", reason="wrong_item")
    if "fit" in seen or "unwanted" in seen:
        return Intent("refund", reason="no_longer_needed")
    for concept in ("tracking", "human", "exchange"):
        if concept in seen:
            return Intent("out_of_scope", topic=concept)
    return None


_WORD = re.compile(r"[a-z0-9]+")
STOP = {"i", "a", "an", "the", "my", "to", "want", "would", "like", "please", "it", "is", "for", "of", "and", "me", "can",
        "return", "refund", "back", "send", "get", "money", "this", "that", "want", "wanna", "need", "some", "with", "was",
        "arrived", "broken", "never", "came", "wrong", "size", "damaged", "faulty", "not", "doesnt", "dont", "work", "el", "la",
        "mi", "de", "lo", "quiero", "devolver", "no", "llego", "roto"}


def _stems(text: str) -> set[str]:
    words = normalize(text)
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in STOP}


def matching(text: str, candidates: Iterable[tuple[T, str]]) -> list[T]:
    """The candidates whose description shares the most words with the sentence (none if no word is shared)."""
    wanted = _stems(text)
    scored = [(len(wanted & _stems(description)), item) for item, description in candidates]
    best = max((score for score, _ in scored), default=0)
    return [item for score, item in scored if best and score == best]
