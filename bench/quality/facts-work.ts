// Fact modules about work, money and numbers: job, project, extensions, codes, budgets, rent, car, insurance, contacts.
import { type FactModule, fmtDay, MONTHS, type Rng } from "./kit.js";
import {
  CAR_MODELS,
  CODENAMES,
  COLORS,
  COMPANIES,
  FIRST_NAMES_F,
  FIRST_NAMES_M,
  INSURERS,
  JOBS,
} from "./vocab.js";

const LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ";
const letters = (r: Rng, n: number) => Array.from({ length: n }, () => r.pick([...LETTERS])).join("");
const digits = (r: Rng, n: number) => String(r.int(10 ** (n - 1), 10 ** n - 1));
/** Four digits that never look like a year (keeps "what is 2019?" from meaning two things). */
const code4 = (r: Rng) => String(r.int(3000, 9999));

/** Job title and employer. */
export const job: FactModule = (c) => {
  const { rng } = c;
  const title = c.take("job", JOBS);
  const company = c.take("company", COMPANIES);
  const m = c.mem("work", [
    `I work as a ${title} at ${company}.`,
    `I've been a ${title} at ${company} for ${rng.int(2, 14)} years.`,
    `Day job: ${title} at ${company}, mostly remote on Fridays.`,
    `Started at ${company} as a ${title} in ${rng.int(2010, 2023)}.`,
  ]);
  c.ask(
    "paraphrase",
    [
      "What do I do for a living?",
      "What is my profession?",
      "What's my occupation?",
      "Who employs me?",
      "Who signs my paychecks?",
      "What career am I in?",
    ],
    [m],
  );
  const word = company.split(" ")[0] ?? company;
  c.ask(
    "name",
    [`What is my role at ${company}?`, `When did I join ${company}?`, `Do I still work for ${word}?`],
    [m],
    [word],
  );
};

/** An internal project known by a codename (a rare token). */
export const project: FactModule = (c) => {
  const { rng } = c;
  const code = c.take("codename", CODENAMES);
  const desc = rng.pick([
    "a new billing system",
    "a warehouse scheduling tool",
    "the mobile app redesign",
    "a patient booking portal",
    "the move of our data warehouse to the cloud",
    "an internal search engine for contracts",
  ]);
  const month = rng.pick(MONTHS);
  const m = c.mem("work", [
    `Our team's project is codenamed ${code}: ${desc}, due in ${month}.`,
    `${code} is the internal name for ${desc}; launch planned for ${month}.`,
    `Working on ${code} (${desc}) until ${month}.`,
  ]);
  c.ask(
    "name",
    [`What is ${code}?`, `When is ${code} due?`, `What are we building in ${code}?`],
    [m],
    [code],
  );
  c.ask(
    "paraphrase",
    [
      "What am I busy with at the office these days?",
      "Which initiative occupies my working hours?",
      "What deliverable is my group focused on?",
    ],
    [m],
  );
};

/** The user's desk extension and the IT helpdesk's: near-duplicate numbers. */
export const extensions: FactModule = (c) => {
  const ext = c.make("extension", code4);
  const help = c.make("helpdesk", code4);
  const m1 = c.mem("work", [
    `My desk extension at the office is ${ext}.`,
    `My work phone extension: ${ext}.`,
    `People can reach me internally on extension ${ext}.`,
  ]);
  const m2 = c.mem("work", [
    `IT helpdesk is extension ${help}.`,
    `For laptop problems, call the service desk on ${help}.`,
    `The IT support line at work is ${help}.`,
  ]);
  c.ask("number", [`Whose extension is ${ext}?`, `Who picks up on ${ext}?`, `What is ${ext}?`], [m1], [ext]);
  c.ask(
    "number",
    [`Who answers on ${help}?`, `What number is ${help}?`, `What is extension ${help} for?`],
    [m2],
    [help],
  );
  c.ask("near_duplicate", ["What is my own extension?", "What is my extension number?"], [m1]);
  c.ask("near_duplicate", ["Which extension do I call for IT?", "What's the number for IT support?"], [m2]);
  c.ask(
    "paraphrase",
    ["Which digits do colleagues dial to get hold of me?", "How do coworkers ring my desk?"],
    [m1],
  );
  c.ask(
    "paraphrase",
    [
      "Who do I ring when my computer breaks?",
      "Where do I get help with a broken PC?",
      "Who sorts out my laptop when it won't boot?",
      "Who should I contact about a frozen screen at the office?",
    ],
    [m2],
  );
};

/** Two door codes: the building and the bike room (near-duplicates), each a number. */
export const codes: FactModule = (c) => {
  const door = c.make("doorCode", code4);
  const bike = c.make("bikeCode", code4);
  const m1 = c.mem("home", [
    `The front door code for our building is ${door}.`,
    `Building entrance code: ${door}#.`,
    `To get into the apartment block, type ${door} on the keypad.`,
  ]);
  const m2 = c.mem("home", [
    `The bike shed padlock combination is ${bike}.`,
    `Code for the bike room in the basement: ${bike}.`,
    `Bicycle storage downstairs opens with ${bike}.`,
  ]);
  c.ask("number", [`What does ${door} open?`, `What is the code ${door} for?`], [m1], [door]);
  c.ask("number", [`What is ${bike} the combination for?`, `Where do I use ${bike}?`], [m2], [bike]);
  c.ask(
    "near_duplicate",
    ["What's the code to get into the building?", "What is the building door code?"],
    [m1],
  );
  c.ask("near_duplicate", ["What is the code for the bike storage?", "How do I open the bike shed?"], [m2]);
  c.ask(
    "paraphrase",
    ["How do I get through the main entrance downstairs?", "What do I punch in at the front of our block?"],
    [m1],
  );
};

/** Two budgets (near-duplicates; the total needs both) with amounts as rare numbers. */
export const budgets: FactModule = (c) => {
  const a1 = c.make("budgetKitchen", (r) => String(r.int(16, 120) * 250));
  const a2 = c.make("budgetHoliday", (r) => String(r.int(8, 40) * 100));
  const b1 = c.mem("money", [
    `Our budget for the kitchen renovation is ${a1} euros.`,
    `Kitchen remodel: we agreed not to spend more than €${a1}.`,
    `Set aside ${a1} euros for redoing the kitchen.`,
  ]);
  const b2 = c.mem("money", [
    `We have ${a2} euros saved for the summer holiday.`,
    `Holiday budget this year: €${a2}.`,
    `Vacation fund is at ${a2} euros.`,
  ]);
  c.ask("number", [`What is the ${a1} euro budget for?`, `What did we set aside ${a1} for?`], [b1], [a1]);
  c.ask("number", [`What are the ${a2} euros for?`, `What is ${a2} earmarked for?`], [b2], [a2]);
  c.ask(
    "paraphrase",
    [
      "How much can we spend on the new cabinets and worktops?",
      "What's the cap for fixing up the cooking area?",
    ],
    [b1],
  );
  c.ask(
    "near_duplicate",
    ["How much is the holiday budget?", "How much money do we have for the summer trip?"],
    [b2],
  );
  c.ask(
    "multi_hop",
    [
      "How much have we set aside in total for the kitchen and the holiday?",
      "What do the kitchen budget and the holiday budget add up to?",
    ],
    [b1, b2],
  );
};

/** Rent and the landlord. */
export const rent: FactModule = (c) => {
  const { rng } = c;
  const landlord = c.take("landlord", rng.chance(0.5) ? FIRST_NAMES_F : FIRST_NAMES_M);
  const amt = c.make("rent", (r) => String(r.int(30, 95) * 25));
  const day = rng.int(1, 5);
  const m = c.mem("money", [
    `Rent is ${amt} a month, paid to ${landlord} on day ${day}.`,
    `We pay ${landlord} ${amt} in rent every month.`,
    `Monthly rent: ${amt}, transfer to ${landlord} by day ${day}.`,
  ]);
  c.ask("name", [`How much do I pay ${landlord}?`, `Who is ${landlord}?`], [m], [landlord]);
  c.ask("number", [`What do I pay ${amt} for?`, `Why does ${amt} leave my account?`], [m], [amt]);
  c.ask(
    "paraphrase",
    [
      "How much does our apartment cost us?",
      "What do we owe for the flat?",
      "What do we hand over for housing?",
    ],
    [m],
  );
};

/** The car (a plate as rare tokens) and its service date. */
export const car: FactModule = (c) => {
  const { rng } = c;
  const model = rng.pick(CAR_MODELS);
  const color = rng.pick(COLORS);
  const plate = c.make("plate", (r) => `${letters(r, 2)}${r.int(10, 79)} ${letters(r, 3)}`);
  const m = c.mem("car", [
    `My car is a ${color} ${model}, plate ${plate}.`,
    `We drive a ${color} ${model} (registration ${plate}).`,
    `Car: ${color} ${model}, number plate ${plate}.`,
  ]);
  const parts = plate.split(" ");
  c.ask(
    "number",
    [`Which car has the plate ${plate}?`, `What is ${plate}?`, `Is ${plate} our car?`],
    [m],
    parts,
  );
  c.ask("paraphrase", ["What am I behind the wheel of these days?", "Which motor do we own?"], [m]);
  const d = c.day();
  const s = c.mem("car", [
    `The ${model} is booked in for a service on ${fmtDay(rng, d)}.`,
    `Car service at the garage on ${fmtDay(rng, d)}, drop it off by 8.`,
    `MOT and service: ${fmtDay(rng, d)}.`,
  ]);
  c.ask(
    "date",
    [`What is booked for ${fmtDay(rng, d)}?`, `Do I have anything on ${fmtDay(rng, d)}?`],
    [s],
    [d.month, String(d.day)],
  );
};

/** Home insurance: a policy number and a renewal date. */
export const insurance: FactModule = (c) => {
  const { rng } = c;
  const insurer = c.take("insurer", INSURERS);
  const policy = c.make("policy", (r) => `${letters(r, 2)}-${digits(r, 6)}`);
  const d = c.day();
  const m = c.mem("money", [
    `Home insurance is with ${insurer}, policy ${policy}, renews on ${fmtDay(rng, d)}.`,
    `Contents insurance: ${insurer}, policy number ${policy}, renewal ${fmtDay(rng, d)}.`,
    `Our house cover (${insurer}, ${policy}) comes up for renewal on ${fmtDay(rng, d)}.`,
  ]);
  const num = policy.split("-")[1] ?? policy;
  c.ask("number", [`Which insurer is policy ${policy} with?`, `What is policy ${policy}?`], [m], [num]);
  c.ask(
    "date",
    [`What renews on ${fmtDay(rng, d)}?`, `What is due on ${fmtDay(rng, d)}?`],
    [m],
    [d.month, String(d.day)],
  );
};

/** The plumber: a name and a phone number. */
export const plumber: FactModule = (c) => {
  const { rng } = c;
  const who = c.take("plumber", rng.chance(0.7) ? FIRST_NAMES_M : FIRST_NAMES_F);
  const phone = c.make("plumberPhone", (r) => `0${r.int(600, 799)} ${digits(r, 3)} ${digits(r, 4)}`);
  const last = phone.split(" ")[2] ?? phone;
  const m = c.mem("contacts", [
    `${who} the plumber is on ${phone}.`,
    `Plumber: ${who}, ${phone}, fixed the boiler last winter.`,
    `If the boiler breaks again, call ${who} on ${phone}.`,
  ]);
  c.ask("name", [`How do I reach ${who}?`, `What is ${who}'s number?`], [m], [who]);
  c.ask("number", [`Whose number is ${phone}?`, `Who is ${phone}?`], [m], [last]);
  c.ask(
    "paraphrase",
    [
      "Who fixes our pipes and heating?",
      "Who can I get in when the hot water stops?",
      "Who sorts out leaks in our house?",
      "Which tradesperson do we call for the radiators?",
    ],
    [m],
  );
};

/** Gym membership number and locker. */
export const gym: FactModule = (c) => {
  const { rng } = c;
  const num = c.make("gymNumber", (r) => digits(r, 7));
  const m = c.mem("health", [
    `My gym membership number is ${num}; I usually take locker ${rng.int(10, 300)}.`,
    `Gym card ${num}, locker ${rng.int(10, 300)}.`,
    `Membership number at the leisure centre: ${num}.`,
  ]);
  c.ask("number", [`What is ${num}?`, `What is the number ${num} for?`], [m], [num]);
};
