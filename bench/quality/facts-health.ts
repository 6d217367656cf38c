// Fact modules about health and changed habits: appointments, passport, allergies, medication, and negations.
import { type Ctx, type FactModule, fmtDay, fmtTime, MONTHS } from "./kit.js";
import {
  ALLERGENS_DRUG,
  ALLERGENS_FOOD,
  CITIES,
  COMPANIES,
  DOCTORS,
  FIRST_NAMES_F,
  FIRST_NAMES_M,
  JOBS,
  MEDICATIONS,
  PLATFORMS,
  TEAS,
} from "./vocab.js";

/** Dentist, optician and GP appointments: three dated near-duplicates. */
export const appointments: FactModule = (c) => {
  const { rng } = c;
  const [d1, d2, d3] = [c.day(), c.day(), c.day()];
  const dentist = c.mem("appointments", [
    `Dentist appointment on ${fmtDay(rng, d1)} at ${fmtTime(rng)}.`,
    `Dental check-up booked for ${fmtDay(rng, d1)} at ${fmtTime(rng)}.`,
    `Scale and polish at the dentist, ${fmtDay(rng, d1)}, ${fmtTime(rng)}.`,
  ]);
  const optician = c.mem("appointments", [
    `Eye test at the optician on ${fmtDay(rng, d2)} at ${fmtTime(rng)}.`,
    `Optician appointment: ${fmtDay(rng, d2)}, ${fmtTime(rng)}, for a new glasses prescription.`,
    `Booked an eye exam for ${fmtDay(rng, d2)} at ${fmtTime(rng)}.`,
  ]);
  const dr = c.take("doctor", DOCTORS);
  const issue = rng.pick(["my shoulder", "my knee", "back pain", "a skin rash", "trouble sleeping"]);
  const gp = c.mem("appointments", [
    `Appointment with ${dr} about ${issue} on ${fmtDay(rng, d3)} at ${fmtTime(rng)}.`,
    `GP visit: ${dr}, ${fmtDay(rng, d3)}, ${fmtTime(rng)}, about ${issue}.`,
    `Seeing ${dr} on ${fmtDay(rng, d3)} at ${fmtTime(rng)} to talk about ${issue}.`,
  ]);
  const onDay = (d: { month: string; day: number }) => [
    `What do I have on ${fmtDay(rng, d)}?`,
    `What's on my calendar for ${fmtDay(rng, d)}?`,
    `Where do I need to be on ${fmtDay(rng, d)}?`,
  ];
  c.ask("date", onDay(d1), [dentist], [d1.month, String(d1.day)]);
  c.ask("date", onDay(d2), [optician], [d2.month, String(d2.day)]);
  c.ask("date", onDay(d3), [gp], [d3.month, String(d3.day)]);
  c.ask(
    "paraphrase",
    ["When am I getting my teeth looked at?", "When do I sit in the chair to have my molars checked?"],
    [dentist],
  );
  c.ask(
    "paraphrase",
    ["When do I see someone about my vision?", "When are my eyes being examined?"],
    [optician],
  );
  const surname = dr.split(" ")[1] ?? dr;
  c.ask("name", [`When am I seeing ${dr}?`, `What is my appointment with ${dr} about?`], [gp], [surname]);
  c.ask("near_duplicate", ["When is my dentist appointment?", "What day is the dentist?"], [dentist]);
  c.ask("near_duplicate", ["When is my eye test?", "When is my appointment at the optician?"], [optician]);
};

/** Passport expiry: a date with a year. */
export const passport: FactModule = (c) => {
  const { rng } = c;
  const d = c.day();
  const year = String(rng.int(2026, 2031));
  const m = c.mem("travel", [
    `My passport expires on ${fmtDay(rng, d)} ${year}.`,
    `Passport valid until ${fmtDay(rng, d)} ${year}; renew before booking anything long-haul.`,
    `Note: passport runs out ${fmtDay(rng, d)} ${year}.`,
  ]);
  c.ask(
    "date",
    [`What expires on ${fmtDay(rng, d)} ${year}?`, `What runs out in ${d.month} ${year}?`],
    [m],
    [d.month, year],
  );
  c.ask(
    "paraphrase",
    ["Until when can I keep using my travel document?", "When do I need new ID for going abroad?"],
    [m],
  );
};

/** A food or drug allergy, asked about without naming it. */
export const allergy: FactModule = (c) => {
  const { rng } = c;
  if (rng.chance(0.5)) {
    const a = c.take("allergen", ALLERGENS_FOOD);
    const m = c.mem("health", [
      `I'm allergic to ${a}.`,
      `Severe ${a} allergy: I always carry an EpiPen.`,
      `Can't eat anything with ${a}, I react badly.`,
    ]);
    c.ask(
      "paraphrase",
      [
        "What could give me anaphylaxis?",
        "What makes my throat swell up if I eat it?",
        "Which snack could send me to A&E in an ambulance?",
      ],
      [m],
    );
  } else {
    const a = c.take("allergen", ALLERGENS_DRUG);
    const m = c.mem("health", [
      `I'm allergic to ${a}.`,
      `Allergy: ${a} gives me hives, tell every doctor.`,
      `Never take ${a}; I had a bad reaction in ${rng.int(2005, 2022)}.`,
    ]);
    c.ask(
      "paraphrase",
      [
        "Which medicine must doctors never give me?",
        "What medication do I react badly to?",
        "Which drug is dangerous for me?",
      ],
      [m],
    );
  }
};

/** Daily medication: a rare drug name. */
export const medication: FactModule = (c) => {
  const { rng } = c;
  const med = rng.pick(MEDICATIONS);
  const m = c.mem("health", [
    `I take ${med.dose} of ${med.drug} every morning for my ${med.condition}.`,
    `Daily meds: ${med.drug} ${med.dose}, for ${med.condition}.`,
    `Prescription: ${med.drug}, ${med.dose} once a day (${med.condition}).`,
  ]);
  c.ask("name", [`What do I take ${med.drug} for?`, `What dose of ${med.drug} am I on?`], [m], [med.drug]);
  c.ask(
    "paraphrase",
    ["What tablets am I on?", "Which pills do I swallow at breakfast?", "Am I on any regular medicine?"],
    [m],
  );
};

/** A chronic condition described without its name in the question. */
export const condition: FactModule = (c) => {
  const { rng } = c;
  const pick = rng.pick([
    {
      mem: [
        "I have mild asthma and use an inhaler before exercise.",
        "Asthma: keep the blue inhaler in my gym bag.",
        "My asthma flares up in cold weather.",
      ],
      para: [
        "Do I have any breathing problems?",
        "Is there a lung condition I should mention to a new doctor?",
      ],
    },
    {
      mem: [
        "I have coeliac disease, so no gluten at all.",
        "Strictly gluten-free because of coeliac disease.",
        "Coeliac here: gluten makes me ill for days.",
      ],
      para: ["Can I eat ordinary bread and pasta?", "Why do I avoid wheat?"],
    },
    {
      mem: [
        "I'm lactose intolerant; oat milk in everything.",
        "Lactose intolerance means no cheese or cream for me.",
        "Dairy disagrees with me, I'm lactose intolerant.",
      ],
      para: [
        "Can I drink a glass of cow's milk?",
        "Why do I skip the cheese board?",
        "Is a milkshake a bad idea for me?",
      ],
    },
    {
      mem: [
        "I have tinnitus in my left ear, so loud bars are hard for me.",
        "Tinnitus: constant ringing on the left side since a concert in my twenties.",
      ],
      para: ["Do I have any hearing problems?", "Why do noisy pubs bother me?"],
    },
  ]);
  const m = c.mem("health", pick.mem);
  c.ask("paraphrase", pick.para, [m]);
};

interface NegationSet {
  now: string[];
  past: string[];
  questions: string[];
}

function negationSets(c: Ctx): NegationSet[] {
  const { rng } = c;
  const year = rng.int(2012, 2023);
  const city = c.take("marathonCity", CITIES);
  const platform = rng.pick(PLATFORMS);
  const oldCo = c.take("oldCompany", COMPANIES);
  const oldJob = c.take("oldJob", JOBS);
  return [
    {
      now: [
        "I don't eat meat anymore.",
        `I stopped eating meat in ${year}; fully vegetarian now.`,
        `No meat for me these days, I've been vegetarian since ${year}.`,
      ],
      past: [
        "I used to love a rare steak on Friday nights.",
        "Back in college I ate burgers almost every day.",
        "My favourite dish used to be my grandmother's beef stew.",
      ],
      questions: [
        "Do I still eat meat?",
        "Should I book a steakhouse for my birthday dinner?",
        "Can I order the beef option for myself at the wedding?",
        "Am I okay with a chicken dish?",
      ],
    },
    {
      now: [
        `I quit drinking alcohol ${rng.int(3, 30)} months ago and haven't had a drop since.`,
        `I'm sober now, no alcohol at all since ${rng.pick(MONTHS)}.`,
        "I don't drink anymore, not even wine.",
      ],
      past: ["I used to brew my own IPA in the garage.", "We used to do wine tastings every summer."],
      questions: [
        "Do I drink beer these days?",
        "Should I bring a bottle of wine for myself to the party?",
        "Can I join the whisky tasting?",
      ],
    },
    {
      now: [
        "I don't run anymore because of my left knee.",
        "Gave up running after the knee surgery; swimming only now.",
        "My physio told me to stop running for good, so I don't.",
      ],
      past: [
        `I ran the ${city} marathon in ${year - rng.int(3, 8)} in under four hours.`,
        `I used to run ${rng.int(5, 15)} km every morning before work.`,
      ],
      questions: [
        "Am I still a runner?",
        "Should I sign up for the 10k race with my colleagues?",
        "Do I go jogging these days?",
      ],
    },
    {
      now: [
        `I haven't smoked since ${rng.pick(MONTHS)} ${year}.`,
        `I quit smoking ${rng.int(2, 12)} years ago and I'm never going back.`,
        `Not a smoker anymore, stopped in ${year}.`,
      ],
      past: ["I smoked a pack a day in my twenties.", "I used to roll my own cigarettes on the balcony."],
      questions: ["Am I a smoker?", "Do I still smoke cigarettes?", "Should I sit in the smoking area?"],
    },
    {
      now: [
        `I deleted my ${platform} account in ${year} and I'm not going back.`,
        `I'm off ${platform} for good now.`,
        `No more ${platform} for me, I deleted the app.`,
      ],
      past: [
        `I used to post on ${platform} every day.`,
        `My ${platform} had over ${rng.int(2, 40)}00 followers at one point.`,
      ],
      questions: [
        `Am I still on ${platform}?`,
        `Should I message them on ${platform}?`,
        `Can people find me on ${platform}?`,
      ],
    },
    {
      now: [
        `I no longer work at ${oldCo}; I left in ${year}.`,
        `I quit ${oldCo} in ${year} and don't miss it.`,
      ],
      past: [`I spent five years at ${oldCo} as a ${oldJob}.`, `At ${oldCo} I used to lead the night shift.`],
      questions: [`Do I still work at ${oldCo}?`, `Am I still employed by ${oldCo}?`],
    },
    {
      now: ["I don't take sugar in anything anymore.", `Cut out sugar completely in ${year}.`],
      past: ["I used to put three sugars in my tea.", "I had a real sweet tooth as a kid, cake every day."],
      questions: ["Do I take sugar?", "Should I put sugar in my coffee?"],
    },
    {
      now: [
        "I'm not actually allergic to cats; it turned out to be dust mites.",
        "Turns out I don't have a cat allergy after all, the tests came back negative.",
        "The allergist said cats are fine for me; it's dust that makes me sneeze.",
      ],
      past: [
        `I used to sneeze constantly whenever I visited ${c.take("catFriend", rng.chance(0.5) ? FIRST_NAMES_F : FIRST_NAMES_M)}, who has three cats.`,
        "As a kid I always had itchy eyes around cats.",
      ],
      questions: [
        "Am I allergic to cats?",
        "Can I visit a friend who has cats without getting sick?",
        "Is a cat allergy something I need to worry about?",
      ],
    },
    {
      now: [
        `I gave up coffee; I only drink ${rng.pick(TEAS)} now.`,
        "No caffeine for me anymore, doctor's orders.",
        `I quit coffee in ${rng.pick(MONTHS)} and feel much better.`,
      ],
      past: [
        "I used to need three espressos to get through the morning.",
        "My old routine started with a double espresso on the way to work.",
      ],
      questions: ["Do I still drink coffee?", "Should I get myself an espresso?", "Can I have a latte?"],
    },
  ];
}

/** Two or three habits the user gave up: the current state answers; the old habit is the distractor. */
export const negations: FactModule = (c) => {
  const { rng } = c;
  const sets = negationSets(c);
  // The coffee set (last) contradicts the drinks module's cafe order: only users without it may draw it.
  const pool = c.roles.has("coffeeOrder") ? sets.slice(0, -1) : sets;
  for (const set of rng.shuffle(pool).slice(0, rng.int(2, 3))) {
    const now = c.mem("habits", set.now);
    c.mem("habits", set.past);
    c.ask("negation", set.questions, [now]);
  }
};
