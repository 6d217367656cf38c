// Fact modules about leisure, taste and travel: hobbies, books, football, drinks, seats, home, trips, flights, birthdays.
import { type FactModule, fmtDay, fmtTime, MONTHS } from "./kit.js";
import {
  AIRLINES,
  AUTHORS,
  CITIES,
  COFFEES,
  COUNTRIES,
  FIRST_NAMES_F,
  FIRST_NAMES_M,
  GYMS,
  HOTELS,
  INSTRUMENTS,
  LANGUAGES,
  NEIGHBOURHOODS,
  TEAMS,
  TEAS,
  WEEKDAYS,
} from "./vocab.js";

/** The longest word of a multi-word name: the token a keyword search would hinge on. */
const rareWord = (s: string) => s.split(/[\s.]+/).reduce((a, b) => (b.length > a.length ? b : a), "");
/** "the Hotel Mirador", but "The Gull and Anchor" as it is. */
const the = (s: string) => (s.startsWith("The ") ? s : `the ${s}`);

/** An instrument, a language course and a climbing gym. */
export const hobbies: FactModule = (c) => {
  const { rng } = c;
  const inst = c.take("instrument", INSTRUMENTS);
  const group = rng.pick([
    "an amateur orchestra",
    "a ceilidh band",
    "a jazz trio",
    "the community brass band",
  ]);
  const wd = rng.pick(WEEKDAYS);
  const i = c.mem("hobbies", [
    `I play the ${inst} in ${group}.`,
    `${wd} nights are ${inst} rehearsal with ${group}.`,
    `Picked up the ${inst} again, practising with ${group}.`,
  ]);
  c.ask(
    "paraphrase",
    ["What music do I make?", "Which instrument do I perform on?", "What do I do at band practice?"],
    [i],
  );
  const lang = c.take("language", LANGUAGES);
  const teacher = c.take("teacher", rng.chance(0.5) ? FIRST_NAMES_F : FIRST_NAMES_M);
  const wd2 = rng.pick(WEEKDAYS);
  const l = c.mem("hobbies", [
    `I've been learning ${lang} on ${wd2} evenings.`,
    `${lang} lessons every ${wd2}; my teacher is ${teacher}.`,
    `Studying ${lang} with ${teacher} for the trip next year.`,
  ]);
  c.ask("paraphrase", ["Which foreign tongue am I picking up?", "What am I studying in evening class?"], [l]);
  const gymName = c.take("climbingGym", GYMS);
  const g = c.mem("hobbies", [
    `I go bouldering at ${gymName} twice a week.`,
    `Climbing at ${gymName} on ${rng.pick(WEEKDAYS)}s and ${rng.pick(WEEKDAYS)}s.`,
    `Renewed my ${gymName} climbing pass for another year.`,
  ]);
  c.ask(
    "paraphrase",
    ["How do I keep fit?", "What sport do I do on the wall?", "What do I do with chalk on my hands?"],
    [g],
  );
  c.ask(
    "name",
    [`How often do I go to ${gymName}?`, `What do I do at ${gymName}?`],
    [g],
    [rareWord(gymName)],
  );
};

/** Favourite author and football team: rare proper nouns. */
export const tastes: FactModule = (c) => {
  const author = c.take("author", AUTHORS);
  const a = c.mem("books", [
    `My favourite author is ${author}; I've read everything.`,
    `Reading ${author} again, still my favourite writer.`,
    `If in doubt, gift me anything by ${author}.`,
  ]);
  const surname = author.split(" ").pop() ?? author;
  c.ask(
    "paraphrase",
    [
      "Whose novels do I like most?",
      "Which writer's books do I love best?",
      "Which novelist do I rate above all others?",
      "Whose fiction should someone pick up as a present for me?",
    ],
    [a],
  );
  c.ask("name", [`What do I think of ${surname}?`, `Do I like ${surname}'s books?`], [a], [surname]);
  const team = c.take("team", TEAMS);
  const t = c.mem("sport", [
    `I support ${team} and never miss a home game.`,
    `Season ticket holder at ${team}.`,
    `Big ${team} fan since childhood.`,
  ]);
  c.ask(
    "paraphrase",
    [
      "Which club do I cheer for?",
      "Which side do I follow in the league?",
      "Whose matches do I go and watch?",
    ],
    [t],
  );
  c.ask("name", [`Do I like ${team}?`, `How do I feel about ${team}?`], [t], [rareWord(team)]);
};

/** Cafe order versus evening tea: near-duplicates about drinks. */
export const drinks: FactModule = (c) => {
  const coffee = c.take("coffeeOrder", COFFEES);
  const tea = c.take("tea", TEAS);
  const c1 = c.mem("preferences", [
    `My usual cafe order is a ${coffee}.`,
    `At the coffee shop I always get a ${coffee}.`,
    `Coffee order: ${coffee}.`,
  ]);
  const c2 = c.mem("preferences", [
    `At home I drink ${tea} in the evenings.`,
    `For tea, I like ${tea}, nice and strong.`,
    `Evening tea is always ${tea}.`,
  ]);
  c.ask("near_duplicate", ["What tea do I like?", "Which tea do I drink?"], [c2]);
  c.ask("near_duplicate", ["How do I take my coffee?", "What is my coffee order?"], [c1]);
  c.ask(
    "paraphrase",
    [
      "What should I ask the barista to make me?",
      "What do I order at the espresso bar?",
      "What do I get when I grab a caffeine fix on the go?",
      "What is my standard pick-me-up when I'm out?",
    ],
    [c1],
  );
  c.ask(
    "paraphrase",
    [
      "What hot drink do I have before bed?",
      "What do I brew at night?",
      "What do I sip to wind down after dinner?",
    ],
    [c2],
  );
};

/** Seat preferences on planes and trains. */
export const seats: FactModule = (c) => {
  const { rng } = c;
  const plane = rng.pick(["aisle", "window"]);
  const s1 = c.mem("preferences", [
    `I always pick a ${plane} seat on flights.`,
    `On planes: ${plane} seat, please, every time.`,
    `When I fly I book a ${plane} seat.`,
  ]);
  const s2 = c.mem("preferences", [
    "On trains I prefer a quiet carriage, facing forward.",
    "Train seat preference: quiet coach, forward facing, table if possible.",
  ]);
  c.ask("near_duplicate", ["Which seat do I want on a plane?", "What seat should I get on my flight?"], [s1]);
  c.ask("near_duplicate", ["Where do I like to sit on the train?", "What train seat do I prefer?"], [s2]);
};

/** Where the user lives. */
export const home: FactModule = (c) => {
  const { rng } = c;
  const nb = c.take("neighbourhood", NEIGHBOURHOODS);
  const city = c.take("homeCity", CITIES);
  const floor = rng.pick(["second", "third", "fourth", "top"]);
  const m = c.mem("home", [
    `We live in ${nb}, ${city}, on the ${floor} floor.`,
    `Home is a flat in ${nb} in ${city}.`,
    `Our apartment is in ${nb}, a ten-minute walk from ${city} central station.`,
  ]);
  c.ask(
    "paraphrase",
    ["Which part of town is our place in?", "What district is our home in?", "What area do we reside in?"],
    [m],
  );
};

/** A planned trip with a friend. */
export const trip: FactModule = (c) => {
  const { rng } = c;
  const country = c.take("tripCountry", COUNTRIES);
  const friend = c.take("tripFriend", rng.chance(0.5) ? FIRST_NAMES_F : FIRST_NAMES_M);
  const month = rng.pick(MONTHS);
  const m = c.mem("travel", [
    `Planning two weeks in ${country} in ${month} with ${friend}.`,
    `${friend} and I are going to ${country} in ${month}.`,
    `Trip locked in: ${country}, ${month}, with ${friend}.`,
  ]);
  c.ask("name", [`Where am I going with ${friend}?`, `When am I travelling with ${friend}?`], [m], [friend]);
  c.ask(
    "name",
    [`Who am I going to ${country} with?`, `When is the ${country} trip?`],
    [m],
    [rareWord(country)],
  );
  c.ask(
    "paraphrase",
    ["Where is my big holiday abroad this year?", "Which nation will I explore soon, and with whom?"],
    [m],
  );
};

/** Outbound and return flights (near-duplicates, rare codes) and the hotel (the flight-to-hotel question needs both). */
export const flights: FactModule = (c) => {
  const { rng } = c;
  const dest = c.take("flightCity", CITIES);
  const out = c.make("flightOut", (r) => `${r.pick(AIRLINES)}${r.int(100, 2999)}`);
  const back = c.make("flightBack", (r) => `${r.pick(AIRLINES)}${r.int(100, 2999)}`);
  const d = c.day();
  const seat = `${rng.int(3, 38)}${rng.pick(["A", "C", "D", "F"])}`;
  const f1 = c.mem("travel", [
    `Flight ${out} to ${dest} leaves on ${fmtDay(rng, d)} at ${fmtTime(rng)}.`,
    `Booked ${out} to ${dest}: departs ${fmtDay(rng, d)}, ${fmtTime(rng)}, seat ${seat}.`,
    `Outbound ${out}, ${fmtDay(rng, d)} at ${fmtTime(rng)}, heading to ${dest}.`,
  ]);
  const f2 = c.mem("travel", [
    `Return flight ${back} from ${dest} lands at ${fmtTime(rng)} a week later.`,
    `Coming home from ${dest} on ${back}, arriving ${fmtTime(rng)}.`,
    `Flight back from ${dest} is ${back}, gets in at ${fmtTime(rng)}.`,
  ]);
  c.ask(
    "number",
    [`Where is flight ${out} going?`, `When does ${out} leave?`, `What is ${out}?`],
    [f1],
    [out],
  );
  c.ask("number", [`Which trip is ${back} for?`, `What time does ${back} land?`], [f2], [back]);
  c.ask(
    "near_duplicate",
    [`What is my flight home from ${dest}?`, `Which flight brings me back from ${dest}?`],
    [f2],
  );
  c.ask(
    "near_duplicate",
    [`Which flight takes me to ${dest}?`, `What is my outbound flight to ${dest}?`],
    [f1],
  );
  c.ask(
    "date",
    [`Am I travelling on ${fmtDay(rng, d)}?`, `What is happening on ${fmtDay(rng, d)}?`],
    [f1],
    [d.month, String(d.day)],
  );
  const hotel = c.take("hotel", HOTELS);
  const cons = [..."BCDFGHJKLMNPQRSTVWXZ"];
  const conf = c.make("hotelRef", (r) => `${r.pick(cons)}${r.int(100, 999)}${r.pick(cons)}${r.pick(cons)}`);
  const h = c.mem("travel", [
    `Booked ${rng.int(2, 9)} nights at ${the(hotel)} in ${dest}, confirmation ${conf}.`,
    `Our hotel in ${dest} is ${the(hotel)}; booking ref ${conf}.`,
    `Staying at ${hotel} in ${dest} (ref ${conf}), breakfast included.`,
  ]);
  c.ask("number", [`What is booking ${conf} for?`, `Which hotel is reference ${conf}?`], [h], [conf]);
  c.ask("name", [`Where is ${the(hotel)}?`, `Which city is ${hotel} in?`], [h], [rareWord(hotel)]);
  c.ask(
    "multi_hop",
    [`Which hotel am I staying at when I take flight ${out}?`, `Where do I sleep after flight ${out} lands?`],
    [f1, h],
  );
};

/** A friend's birthday: a date and a name. */
export const friendBirthday: FactModule = (c) => {
  const { rng } = c;
  const f = c.take("birthdayFriend", FIRST_NAMES_F);
  const d = c.day();
  const m = c.mem("events", [
    `${f}'s birthday is ${fmtDay(rng, d)}.`,
    `${f} turns ${rng.int(25, 50)} on ${fmtDay(rng, d)}, party at her place.`,
    `Remember ${f}'s birthday on ${fmtDay(rng, d)}; she collects vinyl.`,
  ]);
  c.ask(
    "date",
    [`Whose birthday falls on ${fmtDay(rng, d)}?`, `Who is celebrating on ${fmtDay(rng, d)}?`],
    [m],
    [d.month, String(d.day)],
  );
  c.ask("name", [`When is ${f}'s birthday?`, `When do I celebrate ${f}'s birthday?`], [m], [f]);
};
