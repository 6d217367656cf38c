// Everyday notes that answer no question: the noise a real memory store holds, some on the same topics as the facts.
import { type Ctx, fmtTime } from "./kit.js";
import {
  CITIES,
  DISHES,
  DOG_BREEDS,
  FILMS,
  FIRST_NAMES_F,
  FIRST_NAMES_M,
  SHOPS,
  SUBJECTS,
  WEEKDAYS,
} from "./vocab.js";

type Filler = (c: Ctx) => string;

const name = (c: Ctx, role: string) => c.take(role, c.rng.chance(0.5) ? FIRST_NAMES_F : FIRST_NAMES_M);
const one = (c: Ctx, xs: readonly string[]) => c.rng.pick(xs);

/** Plain noise, and near misses: notes on the facts' topics (family, pets, travel, money, health) that answer nothing. */
const FILLERS: readonly Filler[] = [
  (c) =>
    `Watched ${one(c, FILMS)} on ${one(c, WEEKDAYS)}; ${one(c, ["loved it", "fell asleep halfway", "too long", "would watch again"])}.`,
  (c) =>
    `Need to buy ${one(c, ["light bulbs", "dishwasher tablets", "bin bags", "batteries", "olive oil", "rice"])} and ${one(c, ["stamps", "oat milk", "a new mop", "coffee filters", "sunscreen", "tape"])}.`,
  (c) =>
    `The ${one(c, ["washing machine", "fridge", "extractor fan", "dishwasher", "tumble dryer"])} is making a strange noise again.`,
  (c) =>
    `Tried a new ${one(c, ["Georgian", "Ethiopian", "Peruvian", "Sichuan", "Lebanese", "Basque"])} place near the station; ${one(c, ["great dumplings", "too salty", "worth going back", "slow service"])}.`,
  (c) => `Return the library book about ${one(c, SUBJECTS)} before it's overdue.`,
  (c) => `The ${one(c, WEEKDAYS.slice(0, 5))} team standup moved to ${fmtTime(c.rng)}.`,
  (c) =>
    `Recipe to try: ${one(c, DISHES)} with ${one(c, ["smoked paprika", "extra garlic", "brown butter", "fresh dill", "miso"])}.`,
  (c) =>
    `${name(c, "neighbour")} from next door lent us a ${one(c, ["ladder", "drill", "pressure washer", "tent"])}; give it back soon.`,
  (c) =>
    `Thinking about painting the ${one(c, ["hallway", "bedroom", "bathroom", "study"])} ${one(c, ["sage green", "terracotta", "off-white", "navy"])}.`,
  (c) => `Podcast tip from ${name(c, "colleague")}: an episode about ${one(c, SUBJECTS)}.`,
  (c) => `Parcel from ${one(c, SHOPS)} should arrive on ${one(c, WEEKDAYS)}.`,
  (c) => `Parking near the office costs ${c.rng.int(6, 19)} a day now, which is absurd.`,
  () => "Our router restarts itself every few days; call the provider.",
  (c) => `Would like to visit ${c.take("dreamCity", CITIES)} someday.`,
  (c) =>
    `My cousin ${name(c, "cousin")} is studying ${one(c, ["law", "architecture", "nursing", "geology"])} in ${c.take("cousinCity", CITIES)}.`,
  (c) =>
    `My colleague ${name(c, "deskmate")} has a sister who moved to ${c.take("colleagueSisterCity", CITIES)}.`,
  () => "The dentist's office called to update my insurance details.",
  (c) =>
    `Saw a ${one(c, ["heron", "fox", "woodpecker", "hedgehog", "kingfisher"])} in the park this morning.`,
  (c) => `The electricity bill this quarter was ${c.rng.int(120, 480)}, higher than last year.`,
  (c) => `Gift idea for ${name(c, "giftFriend")}: a ${one(c, ["plant", "board game", "cookbook", "scarf"])}.`,
  (c) => `Water the balcony plants on ${one(c, WEEKDAYS)} if it doesn't rain.`,
  (c) =>
    `The ${one(c, ["pool", "library", "farmers market"])} closes early on ${one(c, WEEKDAYS)}s in the summer.`,
  (c) => `Finished the ${c.rng.int(5, 20)}00-piece puzzle, finally.`,
  (c) => `${name(c, "exColleague")} from my first job just had a baby.`,
  () => "The old laptop needs wiping before I sell it.",
  (c) =>
    `Book club picked ${one(c, ["a thriller", "a memoir", "a short story collection", "a classic"])} for next month.`,
  (c) => `Heard the ${one(c, ["bakery", "bike shop", "pharmacy", "post office"])} on the corner is closing.`,
  () => "Pick up the dry cleaning on the way home.",
  (c) => `Train strike planned for ${one(c, WEEKDAYS)}; work from home.`,
  (c) =>
    `Dog-sitting for ${name(c, "dogSitFriend")} next weekend; their ${one(c, DOG_BREEDS)} hates the rain.`,
  () => "Council tax went up again this year.",
  (c) => `Cancelled the ${one(c, ["magazine", "meal kit", "streaming", "wine club"])} subscription.`,
  // Near misses: the same topics as the facts, answering none of the questions.
  (c) =>
    `Mum phoned about ${one(c, ["her new neighbours", "the garden fence", "a recipe she lost", "her knee"])}.`,
  (c) =>
    `Anniversary dinner last year was at ${one(c, ["a tapas bar", "the Thai place", "a rooftop restaurant"])}; the dessert was the best part.`,
  (c) =>
    `My flight to ${c.take("pastFlightCity", CITIES)} last spring was delayed by ${c.rng.int(2, 5)} hours.`,
  (c) =>
    `${name(c, "runnerFriend")} keeps asking me to join her Sunday ${one(c, ["cycling", "hiking", "swimming"])} group.`,
  (c) => `Our neighbour's ${one(c, DOG_BREEDS)} barks every morning at 6.`,
  (c) =>
    `Need to renew the ${one(c, ["library card", "railcard", "museum membership"])} before ${one(c, ["spring", "summer", "autumn", "winter"])}.`,
  (c) =>
    `The ${one(c, ["boiler", "radiator in the hall", "kitchen tap"])} was serviced in ${one(c, ["spring", "autumn"])}; all fine.`,
  (c) => `Lunch with ${name(c, "lunchFriend")} on ${one(c, WEEKDAYS)} at the noodle bar.`,
  (c) => `${name(c, "teamMate")} is covering my tickets while I'm away.`,
  (c) => `The office moved the printer to the ${one(c, ["third", "fourth", "fifth"])} floor.`,
  (c) => `Hotel breakfasts are never worth the extra ${c.rng.int(12, 25)} euros.`,
  (c) =>
    `Checked the weather for ${one(c, WEEKDAYS)}: ${one(c, ["rain all day", "sunny spells", "a storm warning", "cold and clear"])}.`,
  (c) => `Step count yesterday: ${c.rng.int(4, 19)}${c.rng.int(100, 999)}.`,
  (c) =>
    `Sold the old ${one(c, ["sofa", "bookcase", "bike trailer", "desk chair"])} online for ${c.rng.int(20, 150)}.`,
  (c) =>
    `Booked a ${one(c, ["haircut", "massage", "bike repair", "boiler check"])} for next ${one(c, WEEKDAYS)}.`,
  (c) => `${name(c, "quizFriend")}'s team won the pub quiz again on ${one(c, WEEKDAYS)}.`,
  (c) =>
    `Started a new notebook for ${one(c, ["recipes", "gardening notes", "work ideas", "travel plans"])}.`,
  (c) =>
    `The kids' school sent a letter about ${one(c, ["head lice", "the summer fair", "a uniform change", "the trip to the zoo"])}.`,
  (c) => `Bought ${one(c, ["tulip", "garlic", "sunflower", "onion"])} bulbs for the garden.`,
  (c) => `Water bill went up by ${c.rng.int(3, 15)} percent.`,
];

/** Adds up to `n` distinct filler memories (none is ever a question's answer), cycling the templates if needed. */
export function addFillers(c: Ctx, n: number): void {
  const texts = new Set(c.memories.map((m) => m.text));
  let left = n;
  for (let round = 0; round < 8 && left > 0; round++) {
    for (const make of c.rng.shuffle(FILLERS)) {
      if (left <= 0) return;
      let text: string;
      try {
        text = make(c);
      } catch {
        continue; // a template whose unique name pool ran dry this round
      }
      if (texts.has(text)) continue;
      texts.add(text);
      c.mem("filler", [text]);
      left--;
    }
  }
}
